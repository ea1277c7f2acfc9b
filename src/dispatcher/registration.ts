import type { EventKey } from './event-types.js';
import type { ListenerSlot } from './listener-registry.js';

/**
 * What only some registrations carry: a subscriber's (its method, its instance, its display name), an
 * `AbortSignal`'s cleanup, and whether a `once` listener was claimed. Kept apart so that the plain
 * `on()` a request makes allocates a smaller record: churn pays per byte, since every registration is
 * garbage a moment later.
 */
export interface RegistrationExtras {
  /** What the user registered when it is not what the dispatcher calls: a subscriber's unbound method. */
  listener?: (...args: never[]) => unknown;
  subscriber?: object;
  /** The display name given at registration (a subscriber's `Class.method`). */
  displayName?: string;
  /** Cleanup for an `AbortSignal` option; set by the dispatcher. */
  detach?: () => void;
  /** Set when a `once` listener has been claimed by a dispatch, so no other dispatch runs it. */
  spent?: boolean;
}

/**
 * One listener registered on one key. Instances are created once per `on()` and never reshaped, so the
 * dispatch loop stays monomorphic.
 *
 * The fields are declared (`declare`) and assigned in the constructor, not initialised as class fields:
 * class fields are defined one by one before the constructor body runs, and then assigned again, which
 * `on()` per request (churn) pays for on every registration.
 */
export class Registration {
  /** What the dispatcher calls: the listener itself, or a subscriber's method bound to it. */
  declare readonly call: (event: never) => unknown;
  declare readonly priority: number;
  /** Global registration order: the tie-breaker among equal priorities. */
  declare readonly sequence: number;
  declare readonly once: boolean;
  /** Where the registry keeps it while it is registered (`ListenerRegistry`); undefined once removed. */
  declare slot: ListenerSlot | undefined;
  /** Undefined for a plain `on()`; see `RegistrationExtras`. */
  declare extras: RegistrationExtras | undefined;

  constructor(
    call: (event: never) => unknown,
    priority: number,
    sequence: number,
    once: boolean,
    extras: RegistrationExtras | undefined,
  ) {
    this.call = call;
    this.priority = priority;
    this.sequence = sequence;
    this.once = once;
    this.slot = undefined;
    this.extras = extras;
  }

  /**
   * The key it is registered on, read from its slot (a field less for every `on()`); listings only
   * hold registered ones. Undefined once removed.
   */
  get key(): EventKey | undefined {
    return this.slot?.key;
  }

  /** What the user registered (the function, or the subscriber's method), for `off()` and introspection. */
  get listener(): (...args: never[]) => unknown {
    return this.extras?.listener ?? this.call;
  }

  get subscriber(): object | undefined {
    return this.extras?.subscriber;
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
    return this.extras?.displayName ?? listenerName(this.listener);
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
