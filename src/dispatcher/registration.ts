import type { EventKey } from './event-types.js';
import type { ListenerSlot } from './listener-registry.js';

/**
 * One listener registered on one key. Instances are created once per `on()` and never reshaped, so the
 * dispatch loop stays monomorphic.
 */
export class Registration {
  /** Set when a `once` listener has been claimed by a dispatch, so no other dispatch runs it. */
  spent = false;
  /** Cleanup for an `AbortSignal` option; set by the dispatcher. */
  detach: (() => void) | undefined = undefined;
  /** Where the registry keeps it while it is registered (`ListenerRegistry`); undefined once removed. */
  slot: ListenerSlot | undefined = undefined;

  /** The display name given at registration (a subscriber's `Class.method`); else made from the listener. */
  readonly #name: string | undefined;

  constructor(
    readonly key: EventKey,
    /** What the dispatcher calls: the listener itself, or a subscriber's method bound to it. */
    readonly call: (event: never) => unknown,
    /** What the user registered (the function, or the subscriber's method), for `off()` and introspection. */
    readonly listener: (...args: never[]) => unknown,
    readonly priority: number,
    /** Global registration order: the tie-breaker among equal priorities. */
    readonly sequence: number,
    readonly once: boolean,
    readonly subscriber: object | undefined,
    name?: string,
  ) {
    this.#name = name;
  }

  /**
   * Display name, e.g. `Mailer.onOrderPlaced`, or the listener function's name. Read only for errors and
   * introspection, so a plain `on()` does not pay for reading `Function.prototype.name`.
   */
  get name(): string {
    return this.#name ?? listenerName(this.listener);
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
