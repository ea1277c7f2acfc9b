import type { EventClass } from '../../dispatcher/event-types.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { SubscriberDefinitionError } from '../../errors/subscriber-definition-error.js';
import { assertKnownOptions, describeValue, optionKeys } from '../../internal/options.js';
import type { ConsumedMessage } from '../../messaging/consumer/consumed-message.js';
import type { ConsumerOptions } from '../../messaging/consumer/consumer-options.js';
import { isStandardSchema, type StandardSchemaV1 } from '../../messaging/standard-schema.js';
import { assertDtoValidationOptions, type DtoValidationOptions } from './dto-validation.js';

/**
 * The options of `@Consume`: the queue and its consumer settings (`ConsumerOptions`, without what the
 * module sets for all: `appId`, `repeatCounter`, `deadLetter`, `logger`), and what the payload must be.
 */
export interface ConsumeQueueOptions<P = unknown> extends Omit<
  ConsumerOptions,
  'appId' | 'repeatCounter' | 'deadLetter' | 'logger'
> {
  /**
   * A Standard Schema validator (zod, valibot, arktype…): the handler receives its output; a payload it
   * rejects is dead-lettered at once (`invalid-content`) with the issues, the handler never runs.
   */
  schema?: StandardSchemaV1<unknown, P>;
  /**
   * The handler receives an instance of this class, built from the (validated) payload: through its
   * static `fromPayload` when it has one, else by copying the payload's keys onto the prototype. A
   * class with class-validator decorators (a DTO) is built by class-transformer's `plainToInstance`
   * when installed, then validated (after `schema`); a payload it rejects is dead-lettered at once
   * (`invalid-content`) with each failed property and constraint, the handler never runs.
   */
  event?: EventClass<P & object>;
  /**
   * The class-validator options for a DTO `event`, or `false` not to validate it.
   * @defaultValue `{ whitelist: true, forbidNonWhitelisted: false, forbidUnknownValues: true }`
   */
  validation?: DtoValidationOptions | false;
  /**
   * Runs the method through Nest's guards and interceptors (`@UseGuards`, `@UseInterceptors` on the
   * method or its class, and the global ones), in an execution context of type `'rpc'`:
   * `switchToRpc().getData()` is the payload, `getContext()` the `ConsumedMessage`. A guard that
   * refuses (Nest then throws a `ForbiddenException`) dead-letters the message at once (`non-retryable`);
   * what an interceptor throws is repeated and dead-lettered as the method's own errors are. Pipes and
   * exception filters never apply.
   * @defaultValue false: no guard, interceptor, pipe or filter runs for a message
   */
  enhancers?: boolean;
}

/** One `@Consume` on a method. */
export interface ConsumeMark {
  readonly options: ConsumeQueueOptions;
}

/**
 * The decorator `@Consume(...)` returns: a method whose first parameter cannot accept the payload type
 * (the schema's output, or the event class) is a type error. Legacy decorators only, as Nest's own.
 */
export type ConsumeDecorator<P> = <M extends (payload: P, message: ConsumedMessage<P>) => unknown>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void;

/** Where `@Consume` leaves its marks: on the method function, like `@OnEvent` (one registered symbol). */
const CONSUME_MARKS = Symbol.for('tidings.nestjs.consume');

const OPTION_KEYS = optionKeys<ConsumeQueueOptions>({
  queue: true,
  bindingKeys: true,
  prefetch: true,
  maxAttempts: true,
  repeatDelaysMs: true,
  repeatCounterTimeoutMs: true,
  queueType: true,
  messageTtlMs: true,
  maxContentBytes: true,
  maxHeaderBytes: true,
  schema: true,
  event: true,
  validation: true,
  enhancers: true,
});

/**
 * Makes a provider method the handler of a queue. `TidingsModule` finds it at bootstrap and starts one
 * tidings `Consumer` per decorated method: a handler that returns acks the message, one that throws
 * has it repeated after `repeatDelaysMs` until `maxAttempts`, then dead-lettered with the reason; a
 * `NonRetryableError` dead-letters it at once. Each message runs in its own context: no HTTP guards,
 * interceptors or pipes unless `enhancers: true` asks for guards and interceptors, and a request-scoped
 * provider is resolved anew for each message. The options a `TidingsModule.forFeature()` of the
 * provider's module gives as `consumerDefaults` apply where the decorator gives none.
 *
 * Without `schema` or `event` the payload is `unknown`; `@Consume<Order>({ … })` types it without
 * checking it, as `new Consumer<Order>(…)` does.
 *
 * @example
 * @Injectable()
 * class Billing {
 *   @Consume({ queue: 'billing.orders', bindingKeys: ['order.placed'], schema: orderSchema })
 *   async charge(order: { orderId: string; total: number }, message: ConsumedMessage) { ... }
 * }
 */
export function Consume<E extends object>(
  options: ConsumeQueueOptions<E> & { event: EventClass<E> },
): ConsumeDecorator<E>;
export function Consume<P>(
  options: ConsumeQueueOptions<P> & { schema: StandardSchemaV1<unknown, P> },
): ConsumeDecorator<P>;
export function Consume<P = unknown>(options: ConsumeQueueOptions<P>): ConsumeDecorator<P>;
export function Consume(options: ConsumeQueueOptions): ConsumeDecorator<never> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`@Consume: options must be an object, got ${describeValue(options)}`);
  }
  const where = `@Consume(${describeValue(options.queue)})`;
  assertKnownOptions(options, OPTION_KEYS, where);
  if (options.schema !== undefined && !isStandardSchema(options.schema)) {
    throw new InvalidArgumentError(
      `${where}: "schema" must be a Standard Schema validator, got ${describeValue(options.schema)}`,
    );
  }
  if (options.event !== undefined && typeof options.event !== 'function') {
    throw new InvalidArgumentError(
      `${where}: "event" must be an event class, got ${describeValue(options.event)}`,
    );
  }
  assertDtoValidationOptions(options.validation, where);
  if (options.enhancers !== undefined && typeof options.enhancers !== 'boolean') {
    throw new InvalidArgumentError(
      `${where}: "enhancers" must be a boolean, got ${describeValue(options.enhancers)}`,
    );
  }
  // The consumer options proper (queue, prefetch…) are checked by the Consumer itself when the module
  // registers the handler, with the same messages as everywhere else.
  const mark: ConsumeMark = { options: { ...options } };
  return (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor) => {
    const className =
      typeof target === 'function' ? target.name : (target.constructor as { name?: string }).name;
    const at = `@Consume on ${className || '(anonymous class)'}.${String(propertyKey)}`;
    if (typeof target === 'function') {
      throw new SubscriberDefinitionError(`${at}: static methods cannot consume (Nest injects instances)`);
    }
    if (typeof descriptor?.value !== 'function') {
      throw new SubscriberDefinitionError(`${at}: only methods can consume`);
    }
    const holder = descriptor.value as { [CONSUME_MARKS]?: ConsumeMark[] };
    // Decorators run bottom-up; unshift keeps the marks in source order.
    (holder[CONSUME_MARKS] ??= []).unshift(mark);
  };
}

/** The marks `@Consume` left on a function, if any. */
export function consumeMarksOf(value: unknown): readonly ConsumeMark[] | undefined {
  return typeof value === 'function'
    ? (value as { [CONSUME_MARKS]?: ConsumeMark[] })[CONSUME_MARKS]
    : undefined;
}
