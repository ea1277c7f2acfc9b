import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, optionKeys } from '../internal/options.js';
import { callListeners, callListenersSync } from './call-listeners.js';
import { assertKey, classOf, describeKey, isKey } from './event-key.js';
import type {
  EventClass,
  EventKey,
  ListenOptions,
  Listener,
  NamedEvents,
  Unsubscribe,
} from './event-types.js';
import { ListenerRegistry } from './listener-registry.js';
import { formatListenerTable, listenerInfo, type ListenerInfo } from './listener-info.js';
import { resolveListenOptions } from './listen-options.js';
import { Registration, type RegistrationExtras } from './registration.js';
import { subscriberName, subscriptionsOf } from './subscriptions.js';

export interface EventDispatcherOptions {
  /**
   * What happens when a listener throws (or its promise rejects):
   * - `'stop'`: the dispatch fails at once with that error; later listeners do not run (as in Symfony).
   * - `'collect'`: every listener runs; afterwards the dispatch fails with one `ListenersFailedError`
   *   naming each listener that failed.
   *
   * Errors are never swallowed either way.
   * @defaultValue 'stop'
   */
  errorPolicy?: 'stop' | 'collect';
}

/**
 * Arguments after the event name: the payload, optional when its type accepts `undefined`.
 *
 * @inline
 */
type PayloadArgs<P> = undefined extends P ? [payload?: P] : [payload: P];

const OPTION_KEYS = optionKeys<EventDispatcherOptions>({ errorPolicy: true });
const ONCE_OPTION_KEYS = optionKeys<Omit<ListenOptions, 'once'>>({ priority: true, signal: true });
const noop = (): void => {};

/**
 * The function `on()` returns: `Registration.prototype.unsubscribe` bound to the registration, which
 * reaches its registry through its slot. A bound function is one small object where a closure is a
 * function plus its context, for code that subscribes and unsubscribes per request (churn: 6 % more
 * operations per second, medians of 10 alternated runs). Once removed, the slot is gone and calling it
 * again does nothing.
 *
 * A method, not a function declaration: bundlers that keep names (esbuild's `keepNames`, which NestJS
 * builds often turn on) redefine a declared function's `name`, and V8 then binds it on its slow path,
 * which made an `on()` + dispatch + `off()` 7× slower in such a bundle. Methods keep their names as they are.
 */
function unsubscriber(registration: Registration): Unsubscribe {
  return registration.unsubscribe.bind(registration);
}

/**
 * A typed, in-process event dispatcher. Events are instances of classes (the class is the identity,
 * never its name) or, for interop, string names with a payload.
 *
 * Listeners run one after another in priority order (higher first, registration order among equals).
 * A listener on a base class receives the events of its subclasses. An event extending `Event` can stop
 * propagation. A dispatch works on the listener list as it was when it started.
 *
 * @typeParam Named - payload types of string-named events, e.g. `{ 'user.login': { userId: string } }`.
 *
 * @example
 * const dispatcher = new EventDispatcher();
 * dispatcher.on(OrderPlaced, (e) => mail(e.orderId), { priority: 10 });
 * await dispatcher.dispatch(new OrderPlaced('o-1', 42));
 */
export class EventDispatcher<Named extends NamedEvents = Record<string, unknown>> {
  readonly #registry = new ListenerRegistry();
  readonly #subscribers = new Map<object, Registration[]>();
  readonly #collect: boolean;
  #sequence = 0;

  constructor(options: EventDispatcherOptions = {}) {
    assertKnownOptions(options, OPTION_KEYS, 'EventDispatcher');
    const policy = options.errorPolicy ?? 'stop';
    if (policy !== 'stop' && policy !== 'collect') {
      throw new InvalidArgumentError(
        `EventDispatcher: errorPolicy must be 'stop' or 'collect', got ${describeValue(policy)}`,
      );
    }
    this.#collect = policy === 'collect';
  }

  /**
   * Registers a listener; returns a function that removes it.
   * @example
   * const off = dispatcher.on(OrderPlaced, (e) => console.log(e.orderId), { priority: 10 });
   * off();
   */
  on<E extends object>(type: EventClass<E>, listener: Listener<E>, options?: ListenOptions): Unsubscribe;
  on<K extends keyof Named & string>(
    name: K,
    listener: Listener<Named[K]>,
    options?: ListenOptions,
  ): Unsubscribe;
  on(type: EventKey, listener: Listener<never>, options?: ListenOptions): Unsubscribe {
    // Without options (a request-scoped listener, registered and removed per request), the registration
    // is made here: no call levels below on(), which V8 does not always inline into the caller. Options
    // and wrong arguments (which throw there) take #listen.
    if (options !== undefined || typeof listener !== 'function' || !isKey(type)) {
      return this.#listen(type, listener, options);
    }
    const registration = new Registration(listener, 0, this.#sequence++, false, undefined);
    this.#registry.add(type, registration);
    return unsubscriber(registration);
  }

  /** Registers a listener that is removed after its first call. */
  once<E extends object>(
    type: EventClass<E>,
    listener: Listener<E>,
    options?: Omit<ListenOptions, 'once'>,
  ): Unsubscribe;
  once<K extends keyof Named & string>(
    name: K,
    listener: Listener<Named[K]>,
    options?: Omit<ListenOptions, 'once'>,
  ): Unsubscribe;
  once(type: EventKey, listener: Listener<never>, options?: Omit<ListenOptions, 'once'>): Unsubscribe {
    assertKnownOptions(options, ONCE_OPTION_KEYS, `once(${describeKey(type)})`);
    return this.#listen(type, listener, { ...options, once: true });
  }

  /**
   * Removes every registration of `listener` made directly on `type` (not those on base classes).
   * @returns whether anything was removed.
   */
  off<E extends object>(type: EventClass<E>, listener: Listener<E>): boolean;
  off<K extends keyof Named & string>(name: K, listener: Listener<Named[K]>): boolean;
  off(type: EventKey, listener: Listener<never>): boolean {
    assertKey(type);
    let removed = false;
    for (const registration of this.#registry.own(type)) {
      if (registration.listener === listener) removed = this.#registry.remove(registration) || removed;
    }
    return removed;
  }

  /**
   * Registers every listener of a subscriber instance: its `@OnEvent` methods and the entries of its
   * `getSubscribedEvents()`, each bound to the instance. Nothing is registered if any entry is wrong.
   */
  addSubscriber(subscriber: object): void {
    if (typeof subscriber !== 'object' || subscriber === null) {
      throw new InvalidArgumentError(`addSubscriber: expected an object, got ${describeValue(subscriber)}`);
    }
    const owner = subscriberName(subscriber);
    if (this.#subscribers.has(subscriber)) {
      throw new InvalidArgumentError(`addSubscriber: this ${owner} instance is already added`);
    }
    const registrations: Registration[] = [];
    for (const subscription of subscriptionsOf(subscriber)) {
      const registration = this.#register(
        subscription.key,
        subscription.method.bind(subscriber),
        subscription.method,
        { priority: subscription.priority },
        subscriber,
        `${owner}.${String(subscription.methodName)}`,
      );
      if (registration !== undefined) registrations.push(registration);
    }
    this.#subscribers.set(subscriber, registrations);
  }

  /** Removes every listener that `addSubscriber(subscriber)` registered. Returns false if it was not added. */
  removeSubscriber(subscriber: object): boolean {
    const registrations = this.#subscribers.get(subscriber);
    if (registrations === undefined) return false;
    this.#subscribers.delete(subscriber);
    for (const registration of registrations) this.#registry.remove(registration);
    return true;
  }

  /**
   * Calls the listeners of the event one after another in priority order, awaiting only those that
   * return a promise (synchronous listeners cost no microtask). Resolves to the event itself.
   * Rejects with the listener's error (`errorPolicy: 'stop'`) or a `ListenersFailedError` ('collect').
   *
   * @example
   * const event = await dispatcher.dispatch(new OrderPlaced('o-1', 42));
   * await dispatcher.dispatch('user.login', { userId: 'u-1' });
   */
  dispatch<E extends object>(event: E): Promise<E>;
  dispatch<K extends keyof Named & string>(name: K, ...payload: PayloadArgs<Named[K]>): Promise<Named[K]>;
  dispatch(eventOrName: object | string, payload?: unknown): Promise<unknown> {
    let event: unknown;
    let key: EventKey;
    try {
      if (typeof eventOrName === 'string') {
        assertKey(eventOrName);
        event = payload;
        key = eventOrName;
      } else {
        event = eventOrName;
        key = classOf(eventOrName);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return callListeners(this.#registry, this.#collect, key, event);
  }

  /**
   * Like `dispatch()`, for events whose listeners are all synchronous; returns the event. A listener
   * that returns a promise makes it throw an `AsyncListenerError` naming that listener.
   */
  dispatchSync<E extends object>(event: E): E;
  dispatchSync<K extends keyof Named & string>(name: K, ...payload: PayloadArgs<Named[K]>): Named[K];
  dispatchSync(eventOrName: object | string, payload?: unknown): unknown {
    if (typeof eventOrName === 'string') return this.#dispatchNamedSync(eventOrName, payload);
    return callListenersSync(this.#registry, this.#collect, classOf(eventOrName), eventOrName);
  }

  // Apart from dispatchSync() so that its bytecode, which V8's inlining budget counts, stays small.
  #dispatchNamedSync(name: string, payload: unknown): unknown {
    assertKey(name);
    return callListenersSync(this.#registry, this.#collect, name, payload);
  }

  /** The listeners an event of this class (or name) would reach, in call order, base-class ones included. */
  getListeners<E extends object>(type: EventClass<E>): readonly ListenerInfo[];
  getListeners(name: keyof Named & string): readonly ListenerInfo[];
  getListeners(type: EventKey): readonly ListenerInfo[] {
    assertKey(type);
    return this.#registry.resolve(type).map(listenerInfo);
  }

  /** Whether an event of this class (or name) would reach any listener; without an argument, whether any listener exists. */
  hasListeners(type?: EventClass | (keyof Named & string)): boolean {
    if (type === undefined) return this.#registry.hasAny();
    assertKey(type);
    return this.#registry.resolve(type).length > 0;
  }

  /**
   * A printable table of every registration, per event in call order (own registrations of each class).
   * @example
   * console.log(dispatcher.describeListeners());
   * // Event        #   Priority  Listener
   * // OrderPlaced  #1  10        Mailer.onOrderPlaced
   */
  describeListeners(): string {
    return formatListenerTable(
      [...this.#registry.keys()].map((key) => this.#registry.own(key).map(listenerInfo)),
    );
  }

  #listen(type: EventKey, listener: Listener<never>, options: ListenOptions | undefined): Unsubscribe {
    const registration = this.#register(type, listener, listener, options, undefined, undefined);
    return registration === undefined ? noop : unsubscriber(registration);
  }

  #register(
    key: EventKey,
    call: (event: never) => unknown,
    listener: (...args: never[]) => unknown,
    options: ListenOptions | undefined,
    subscriber: object | undefined,
    /** The display name; `undefined` for the listener function's own (read only when needed). */
    name: string | undefined,
  ): Registration | undefined {
    assertKey(key);
    if (typeof listener !== 'function') throw listenerNotAFunction(key, listener);
    // Without options, nothing to read: the defaults as constants (destructuring a shared defaults
    // object was an eighth of an on() + off() per request).
    let priority = 0;
    let once = false;
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      ({ priority, once, signal } = resolveListenOptions(key, options, name, listener));
      if (signal?.aborted) return undefined;
    }
    // Only subscribers, signals and `once` need the extras record; a plain registration stays small.
    const extras: RegistrationExtras | undefined =
      subscriber !== undefined || signal !== undefined || once
        ? { listener, subscriber, displayName: name, detach: undefined, spent: false }
        : undefined;
    const registration = new Registration(call, priority, this.#sequence++, once, extras);
    this.#registry.add(key, registration);
    if (signal !== undefined) {
      const onAbort = unsubscriber(registration);
      signal.addEventListener('abort', onAbort, { once: true });
      extras!.detach = () => signal.removeEventListener('abort', onAbort);
    }
    return registration;
  }
}

function listenerNotAFunction(key: EventKey, listener: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    `on(${describeKey(key)}): the listener must be a function, got ${describeValue(listener)}`,
  );
}
