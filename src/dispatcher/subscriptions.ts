import { SubscriberDefinitionError } from '../errors/subscriber-definition-error.js';
import { describeValue, integerOption } from '../internal/options.js';
import { eventNameOf, type EventKey } from './event-types.js';
import { onEventMarksOf } from './on-event.js';

/** One method of a subscriber instance that listens to one event. */
export interface Subscription {
  readonly key: EventKey;
  readonly methodName: string | symbol;
  readonly method: (event: never) => unknown;
  readonly priority: number;
}

/**
 * Everything a subscriber instance listens to: methods marked with `@OnEvent` (found along the
 * prototype chain, the most derived definition of a name winning) and the entries of its
 * `getSubscribedEvents()`. Throws before anything is registered when a definition is wrong.
 */
export function subscriptionsOf(subscriber: object): Subscription[] {
  return [...decoratedSubscriptions(subscriber), ...declaredSubscriptions(subscriber)];
}

export function subscriberName(subscriber: object): string {
  const ctor = (subscriber as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : '(anonymous subscriber)';
}

export function decoratedSubscriptions(subscriber: object): Subscription[] {
  const found: Subscription[] = [];
  const seen = new Set<string | symbol>();
  for (
    let proto: object | null = Object.getPrototypeOf(subscriber) as object | null;
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const name of Reflect.ownKeys(proto)) {
      if (name === 'constructor' || seen.has(name)) continue;
      seen.add(name);
      const value = Object.getOwnPropertyDescriptor(proto, name)?.value as unknown;
      const marks = onEventMarksOf(value);
      if (marks === undefined) continue;
      for (const mark of marks) {
        found.push({
          key: mark.key,
          methodName: name,
          method: value as (event: never) => unknown,
          priority: mark.priority,
        });
      }
    }
  }
  return found;
}

function declaredSubscriptions(subscriber: object): Subscription[] {
  const declare = (subscriber as { getSubscribedEvents?: unknown }).getSubscribedEvents;
  if (declare === undefined) return [];
  const owner = subscriberName(subscriber);
  if (typeof declare !== 'function') {
    throw new SubscriberDefinitionError(`${owner}.getSubscribedEvents must be a method`);
  }
  const entries = (declare as () => unknown).call(subscriber);
  if (!Array.isArray(entries)) {
    throw new SubscriberDefinitionError(
      `${owner}.getSubscribedEvents() must return a list of [event, method] pairs, got ${describeValue(entries)}`,
    );
  }
  const found: Subscription[] = [];
  entries.forEach((entry: unknown, index) => {
    const where = `${owner}.getSubscribedEvents()[${index}]`;
    if (!Array.isArray(entry) || entry.length !== 2) {
      throw new SubscriberDefinitionError(
        `${where} must be an [event, method] pair, got ${describeValue(entry)}`,
      );
    }
    const [key, spec] = entry as [unknown, unknown];
    if (!(typeof key === 'function' || (typeof key === 'string' && key !== ''))) {
      throw new SubscriberDefinitionError(
        `${where}: the event must be a class or a name, got ${describeValue(key)}`,
      );
    }
    for (const [methodName, priority] of methodSpecs(spec, where)) {
      const method = (subscriber as Record<string, unknown>)[methodName];
      if (typeof method !== 'function') {
        throw new SubscriberDefinitionError(
          `${where}: ${owner} has no method "${methodName}" to receive ${eventNameOf(key)}`,
        );
      }
      found.push({
        key: key,
        methodName,
        method: method as (event: never) => unknown,
        priority: integerOption(priority, 0, `${where}: priority of ${methodName}`),
      });
    }
  });
  return found;
}

/** Normalizes `'m'`, `['m']`, `['m', 10]` and `[['m1', 10], ['m2', -5]]` to `[name, priority]` pairs. */
function methodSpecs(spec: unknown, where: string): [string, unknown][] {
  if (typeof spec === 'string') return [[spec, undefined]];
  if (Array.isArray(spec) && typeof spec[0] === 'string') return [pair(spec, where)];
  if (Array.isArray(spec) && spec.length > 0 && spec.every(Array.isArray)) {
    return spec.map((item: unknown[]) => pair(item, where));
  }
  throw new SubscriberDefinitionError(
    `${where}: expected 'method', ['method', priority] or [['method', priority], ...], got ${describeValue(spec)}`,
  );
}

function pair(spec: unknown[], where: string): [string, unknown] {
  const [name, priority] = spec;
  if (typeof name !== 'string' || name === '' || spec.length > 2) {
    throw new SubscriberDefinitionError(
      `${where}: expected ['method', priority], got [${spec.map(describeValue).join(', ')}]`,
    );
  }
  return [name, priority];
}
