// A message payload as a class-validator DTO: the decorators say what a valid order is; @Type (from
// class-transformer) makes each line an OrderLineDto, which @ValidateNested needs to validate it.
// #region dto
import { Type } from 'class-transformer';
import { IsInt, IsNumber, IsString, Min, ValidateNested } from 'class-validator';

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
// #endregion
