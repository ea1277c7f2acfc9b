import type { EventKey } from './event-types.js';
import type { ListenerSlot } from './listener-registry.js';

/**
 * One listener registered on one key. Instances are created once per `on()` and never reshaped, so the
 * dispatch loop stays monomorphic.
 *
 * The fields are declared (`declare`) and assigned in the constructor, not initialised as class fields:
 * class fields are defined one by one before the constructor body runs, and then assigned again, which
 * `on()` per request (churn) pays for on every registration.
 */
export class Registration {
  declare readonly key: EventKey;
  /** What the dispatcher calls: the listener itself, or a subscriber's method bound to it. */
  declare readonly call: (event: never) => unknown;
  /** What the user registered (the function, or the subscriber's method), for `off()` and introspection. */
  declare readonly listener: (...args: never[]) => unknown;
  declare readonly priority: number;
  /** Global registration order: the tie-breaker among equal priorities. */
  declare readonly sequence: number;
  declare readonly once: boolean;
  declare readonly subscriber: object | undefined;
  /** Set when a `once` listener has been claimed by a dispatch, so no other dispatch runs it. */
  declare spent: boolean;
  /** Cleanup for an `AbortSignal` option; set by the dispatcher. */
  declare detach: (() => void) | undefined;
  /** Where the registry keeps it while it is registered (`ListenerRegistry`); undefined once removed. */
  declare slot: ListenerSlot | undefined;
  /** The display name given at registration (a subscriber's `Class.method`); else made from the listener. */
  declare readonly displayName: string | undefined;

  constructor(
    key: EventKey,
    call: (event: never) => unknown,
    listener: (...args: never[]) => unknown,
    priority: number,
    sequence: number,
    once: boolean,
    subscriber: object | undefined,
    name?: string,
  ) {
    this.key = key;
    this.call = call;
    this.listener = listener;
    this.priority = priority;
    this.sequence = sequence;
    this.once = once;
    this.subscriber = subscriber;
    this.spent = false;
    this.detach = undefined;
    this.slot = undefined;
    this.displayName = name;
  }

  /** Removes it from its registry; does nothing once removed. Bound, it is what `on()` returns. */
  unsubscribe(): void {
    this.slot?.registry.remove(this);
  }

  /**
   * Display name, e.g. `Mailer.onOrderPlaced`, or the listener function's name. Read only for errors and
   * introspection, so a plain `on()` does not pay for reading `Function.prototype.name`.
   */
  get name(): string {
    return this.displayName ?? listenerName(this.listener);
  }
}

/** A listener function's display name. */
export function listenerName(listener: unknown): string {
  return typeof listener === 'function' && listener.name !== '' ? listener.name : '(anonymous listener)';
}

/** Higher priority first; among equal priorities, earlier registration first. */
export function compareRegistrations(a: Registration, b: Registration): number {
  return b.priority - a.priority || a.sequence - b.sequence;
}
