import type { EventClass } from '../../dispatcher/event-types.js';
import { eventNameOf } from '../../dispatcher/event-types.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue } from '../../internal/options.js';

/** One event class the `Bridge` publishes to the broker whenever it is dispatched (`Bridge.forward`). */
export interface ForwardRoute<E extends object = object> {
  /** The event class; subclass events are forwarded too. */
  event: EventClass<E>;
  /** At least two dot-separated parts; the first names the exchange (`order.placed` → `order`). */
  routingKey: string;
  /**
   * The JSON payload of the event. (A method signature: a route of `OrderPlaced` with its own typed
   * `toPayload` fits in the list of `forward` next to routes of other classes.)
   * @defaultValue the event itself (its own enumerable properties)
   */
  toPayload?(event: E): unknown;
  /** Priority of the forwarding listener. @defaultValue 0 */
  priority?: number;
}

/** Routes and who declared them (`TidingsModule.forRoot`, `TidingsModule.forFeature in BillingModule`). */
export interface OwnedRoutes {
  readonly owner: string;
  readonly routes: readonly ForwardRoute[];
}

/** Checks that `forward` is a list of routes with an event class each; the Bridge checks the rest. */
export function assertForwardRoutes(forward: unknown, where: string): void {
  if (!Array.isArray(forward)) {
    throw new InvalidArgumentError(
      `${where}: "forward" must be a list of { event, routingKey }, got ${describeValue(forward)}`,
    );
  }
  forward.forEach((route: unknown, index) => {
    if (typeof (route as Partial<ForwardRoute> | null)?.event !== 'function') {
      throw new InvalidArgumentError(
        `${where}: forward[${index}].event must be an event class, got ${describeValue((route as { event?: unknown } | null)?.event)}`,
      );
    }
  });
}

/**
 * Refuses the same event class forwarded twice to the same routing key, across the root module and its
 * features: each route is a listener of its own, so the broker would get every such event twice.
 */
export function assertDistinctRoutes(owned: readonly OwnedRoutes[]): void {
  const seen = new Map<EventClass, Map<string, string>>();
  for (const { owner, routes } of owned) {
    for (const { event, routingKey } of routes) {
      const keys = seen.get(event) ?? new Map<string, string>();
      seen.set(event, keys);
      const first = keys.get(routingKey);
      if (first !== undefined) {
        const twice = first === owner ? `twice by ${owner}` : `by ${first} and by ${owner}`;
        throw new InvalidArgumentError(
          `${owner}: "forward" routes ${eventNameOf(event)} to ${describeValue(routingKey)} already ` +
            `(declared ${twice}): every such event would be published twice`,
        );
      }
      keys.set(routingKey, owner);
    }
  }
}
