// class-validator DTOs for the Nest module's tests: flat and nested properties (class-transformer's
// @Type builds the nested instances @ValidateNested needs) and an asynchronous custom constraint.
import { Type } from 'class-transformer';
import {
  IsInt,
  IsNumber,
  IsString,
  Min,
  Validate,
  ValidateNested,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';

export class OrderLineDto {
  @IsString()
  sku!: string;

  @IsInt()
  @Min(1)
  quantity!: number;
}

export class PlaceOrderDto {
  @IsString()
  orderId!: string;

  @IsNumber()
  @Min(0)
  total!: number;

  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  lines!: OrderLineDto[];
}

/** Customers the (pretend) customer service knows: looked up asynchronously, as a database would be. */
const KNOWN_CUSTOMERS = new Set(['c-1', 'c-2']);

@ValidatorConstraint({ name: 'knownCustomer', async: true })
export class KnownCustomer implements ValidatorConstraintInterface {
  async validate(value: unknown): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return typeof value === 'string' && KNOWN_CUSTOMERS.has(value);
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} is not a known customer`;
  }
}

export class CustomerOrderDto {
  @IsString()
  orderId!: string;

  @Validate(KnownCustomer)
  customerId!: string;
}

/** No decorator: hydrated as without class-validator, whatever the payload holds. */
export class PlainOrder {
  orderId!: string;
  total!: number;
}

/** A DTO that builds itself: its static fromPayload makes the instance, then its decorators validate it. */
export class RefundDto {
  @IsString()
  orderId!: string;

  @IsNumber()
  @Min(0.01)
  amount!: number;

  static fromPayload(payload: unknown): RefundDto {
    const { orderId, amountCents } = payload as { orderId?: string; amountCents?: number };
    return Object.assign(new RefundDto(), { orderId, amount: Number(amountCents) / 100 });
  }
}
