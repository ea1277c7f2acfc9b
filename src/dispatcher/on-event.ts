import { SubscriberDefinitionError } from '../errors/subscriber-definition-error.js';
import { integerOption, assertKnownOptions, optionKeys } from '../internal/options.js';
import type { EventClass, EventKey } from './event-types.js';

/**
 * Where `@OnEvent` leaves its marks: on the decorated method function itself, under a registered symbol,
 * so the ES module and CommonJS builds of tidings (if both end up loaded) read the same marks.
 */
export const ON_EVENT_MARKS = Symbol.for('tidings.on-event');

/** One `@OnEvent` on a method. */
export interface OnEventMark {
  readonly key: EventKey;
  readonly priority: number;
}

export interface OnEventOptions {
  /**
   * Higher runs first; equal priorities run in registration order.
   * @defaultValue 0
   */
  priority?: number;
}

const OPTION_KEYS = optionKeys<OnEventOptions>({ priority: true });

/**
 * The decorator `@OnEvent(...)` returns. It works both as a legacy decorator (`experimentalDecorators`)
 * and as a TC39 standard decorator; in both, a method whose parameter cannot accept `E` is a type error.
 */
export interface OnEventDecorator<E> {
  <M extends (event: E) => unknown>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void;
  <This, M extends (this: This, event: E) => unknown>(
    method: M,
    context: ClassMethodDecoratorContext<This, M>,
  ): void;
}

/**
 * Marks a method as a listener; `dispatcher.addSubscriber(instance)` registers every marked method,
 * bound to the instance. A method may carry several `@OnEvent`s.
 *
 * With `experimentalDecorators` and `emitDecoratorMetadata`, the class may be omitted: it is read from
 * the method's parameter type (`design:paramtypes`). Standard decorators carry no types, so there the
 * class (or event name) is required.
 *
 * @example
 * class Mailer {
 *   @OnEvent(OrderPlaced, { priority: 10 })
 *   onOrderPlaced(event: OrderPlaced) { ... }
 *
 *   @OnEvent() // legacy decorators + emitDecoratorMetadata: the class comes from the parameter type
 *   onShipped(event: OrderShipped) { ... }
 * }
 * dispatcher.addSubscriber(new Mailer());
 */
export function OnEvent<E extends object>(type: EventClass<E>, options?: OnEventOptions): OnEventDecorator<E>;
export function OnEvent(name: string, options?: OnEventOptions): OnEventDecorator<never>;
export function OnEvent(options?: OnEventOptions): OnEventDecorator<never>;
export function OnEvent(
  typeOrOptions?: EventKey | OnEventOptions,
  maybeOptions?: OnEventOptions,
): OnEventDecorator<never> {
  const explicitKey = typeof typeOrOptions === 'function' || typeof typeOrOptions === 'string';
  const key = explicitKey ? (typeOrOptions as EventKey) : undefined;
  const options = explicitKey ? maybeOptions : (typeOrOptions as OnEventOptions | undefined);
  if (typeOrOptions === '') throw new SubscriberDefinitionError('@OnEvent: the event name must not be empty');
  assertKnownOptions(options, OPTION_KEYS, '@OnEvent');
  const priority = integerOption(options?.priority, 0, '@OnEvent priority');

  function decorate(...args: unknown[]): void {
    const [first, second, third] = args;
    if (isStandardContext(second)) {
      decorateStandard(first, second, key, priority);
      return;
    }
    decorateLegacy(first, second as string | symbol, third as PropertyDescriptor | undefined, key, priority);
  }
  return decorate;
}

function isStandardContext(value: unknown): value is DecoratorContext {
  return typeof value === 'object' && value !== null && 'kind' in value && 'name' in value;
}

function decorateStandard(
  method: unknown,
  context: DecoratorContext,
  key: EventKey | undefined,
  priority: number,
): void {
  const problem =
    context.kind !== 'method' || typeof method !== 'function'
      ? `only methods can listen to events (got a ${context.kind})`
      : 'static' in context && context.static
        ? 'static methods cannot be listeners'
        : key === undefined
          ? 'standard decorators carry no parameter types, so the event class must be given: @OnEvent(EventClass)'
          : undefined;
  if (problem === undefined) {
    addMark(method as object, { key: key!, priority });
    return;
  }
  // A standard decorator is not told its class, so the error is raised where the class is known: by an
  // initializer, which runs as the class is defined for a static member and as it is first
  // constructed for an instance member (always before anything could be registered).
  const name = String(context.name);
  if (!('addInitializer' in context)) throw new SubscriberDefinitionError(`@OnEvent on ${name}: ${problem}`);
  context.addInitializer(function (this: unknown) {
    const owner =
      typeof this === 'function' ? this : (this as { constructor?: unknown } | undefined)?.constructor;
    const className = (owner as { name?: string } | undefined)?.name || '(anonymous class)';
    const where = context.kind === 'class' ? `class ${className}` : `${className}.${name}`;
    throw new SubscriberDefinitionError(`@OnEvent on ${where}: ${problem}`);
  });
}

function decorateLegacy(
  target: unknown,
  propertyKey: string | symbol,
  descriptor: PropertyDescriptor | undefined,
  key: EventKey | undefined,
  priority: number,
): void {
  const className =
    typeof target === 'function'
      ? target.name
      : (target as { constructor?: { name?: string } }).constructor?.name;
  const where = `@OnEvent on ${className ?? '(anonymous class)'}.${String(propertyKey)}`;
  if (typeof target === 'function') {
    throw new SubscriberDefinitionError(`${where}: static methods cannot be listeners`);
  }
  if (descriptor === undefined || typeof descriptor.value !== 'function') {
    throw new SubscriberDefinitionError(`${where}: only methods can listen to events`);
  }
  addMark(descriptor.value as object, {
    key: key ?? eventClassFromParameter(target as object, propertyKey, where),
    priority,
  });
}

/**
 * Reads the first parameter's class from `design:paramtypes` (legacy decorators + metadata). The
 * Reflect metadata API is a polyfill (`reflect-metadata`) that must be loaded before the decorated class
 * is defined: `tidings` loads it, `tidings/dispatcher` does not (it would triple that entry's import
 * time), and NestJS applications load it themselves.
 */
function eventClassFromParameter(target: object, propertyKey: string | symbol, where: string): EventClass {
  const getMetadata = (
    Reflect as { getMetadata?: (key: string, target: object, property: string | symbol) => unknown }
  ).getMetadata;
  if (typeof getMetadata !== 'function') {
    throw new SubscriberDefinitionError(
      `${where}: cannot determine the event class: the Reflect metadata API is not loaded. ` +
        `import 'reflect-metadata' before your classes (or import from 'tidings', which does), or name the class: @OnEvent(EventClass)`,
    );
  }
  const types = getMetadata('design:paramtypes', target, propertyKey) as unknown[] | undefined;
  if (types === undefined) {
    throw new SubscriberDefinitionError(
      `${where}: cannot determine the event class: no design:paramtypes metadata. Enable ` +
        `"emitDecoratorMetadata" (and "experimentalDecorators") or name the class: @OnEvent(EventClass)`,
    );
  }
  const type = types[0];
  if (typeof type !== 'function' || NOT_EVENT_CLASSES.has(type)) {
    const found = typeof type === 'function' ? type.name : 'no parameter';
    throw new SubscriberDefinitionError(
      `${where}: cannot determine the event class from the parameter type (${found}: an interface, a ` +
        `union, a primitive or a missing parameter). Name the class: @OnEvent(EventClass)`,
    );
  }
  return type;
}

// What TypeScript emits for parameter types that are not classes (interfaces, unions, any, primitives).
const NOT_EVENT_CLASSES = new Set<unknown>([
  Object,
  String,
  Number,
  Boolean,
  Symbol,
  BigInt,
  Function,
  Array,
]);

function addMark(method: object, mark: OnEventMark): void {
  const holder = method as { [ON_EVENT_MARKS]?: OnEventMark[] };
  // Decorators run bottom-up; unshift keeps the marks in source order.
  (holder[ON_EVENT_MARKS] ??= []).unshift(mark);
}

/** The marks `@OnEvent` left on a function, if any. */
export function onEventMarksOf(value: unknown): readonly OnEventMark[] | undefined {
  return typeof value === 'function'
    ? (value as { [ON_EVENT_MARKS]?: OnEventMark[] })[ON_EVENT_MARKS]
    : undefined;
}
