import { AsyncListenerError } from '../errors/async-listener-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { ListenersFailedError, type ListenerFailure } from '../errors/listeners-failed-error.js';
import { assertKnownOptions, describeValue, integerOption } from '../internal/options.js';
import { isStoppable, type StoppableEvent } from './event.js';
import {
  eventNameOf,
  type EventClass,
  type EventKey,
  type ListenOptions,
  type Listener,
  type NamedEvents,
  type Unsubscribe,
} from './event-types.js';
import { ListenerRegistry } from './listener-registry.js';
import { formatListenerTable, listenerInfo, type ListenerInfo } from './listener-info.js';
import { Registration } from './registration.js';
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

const LISTEN_OPTIONS = ['priority', 'once', 'signal'] as const;
const noop = (): void => {};

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
    assertKnownOptions(options, ['errorPolicy'], 'EventDispatcher');
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
    return this.#listen(type, listener, options);
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
    assertKnownOptions(options, ['priority', 'signal'], `once(${describeKey(type)})`);
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
    const list = this.#registry.resolve(key);
    const stoppable = isStoppableValue(event);
    let failures: ListenerFailure[] | undefined;
    for (let index = 0; index < list.length; index++) {
      if (stoppable && (event as StoppableEvent).isPropagationStopped()) break;
      const registration = list[index]!;
      if (registration.once && !this.#claim(registration)) continue;
      let result: unknown;
      try {
        result = registration.call(event as never);
      } catch (error) {
        if (!this.#collect) return Promise.reject(error);
        (failures ??= []).push(failure(registration, error));
        continue;
      }
      if (isThenable(result))
        return this.#continueAsync(key, event, list, index, result, stoppable, failures);
    }
    if (failures !== undefined) return Promise.reject(new ListenersFailedError(eventNameOf(key), failures));
    return Promise.resolve(event);
  }

  /**
   * Like `dispatch()`, for events whose listeners are all synchronous; returns the event. A listener
   * that returns a promise makes it throw an `AsyncListenerError` naming that listener.
   */
  dispatchSync<E extends object>(event: E): E;
  dispatchSync<K extends keyof Named & string>(name: K, ...payload: PayloadArgs<Named[K]>): Named[K];
  dispatchSync(eventOrName: object | string, payload?: unknown): unknown {
    let event: unknown;
    let key: EventKey;
    if (typeof eventOrName === 'string') {
      assertKey(eventOrName);
      event = payload;
      key = eventOrName;
    } else {
      event = eventOrName;
      key = classOf(eventOrName);
    }
    const list = this.#registry.resolve(key);
    const stoppable = isStoppableValue(event);
    let failures: ListenerFailure[] | undefined;
    for (let index = 0; index < list.length; index++) {
      if (stoppable && (event as StoppableEvent).isPropagationStopped()) break;
      const registration = list[index]!;
      if (registration.once && !this.#claim(registration)) continue;
      let result: unknown;
      try {
        result = registration.call(event as never);
      } catch (error) {
        if (!this.#collect) throw error;
        (failures ??= []).push(failure(registration, error));
        continue;
      }
      if (isThenable(result)) {
        // The dispatch reports the misuse; observing the promise keeps its outcome from surfacing again
        // as an unhandled rejection.
        result.then(undefined, noop);
        const error = new AsyncListenerError(registration.name, eventNameOf(key));
        if (!this.#collect) throw error;
        (failures ??= []).push(failure(registration, error));
      }
    }
    if (failures !== undefined) throw new ListenersFailedError(eventNameOf(key), failures);
    return event;
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
    const registration = this.#register(type, listener, listener, options, undefined, listenerName(listener));
    return registration === undefined ? noop : () => void this.#registry.remove(registration);
  }

  async #continueAsync(
    key: EventKey,
    event: unknown,
    list: readonly Registration[],
    index: number,
    pending: PromiseLike<unknown>,
    stoppable: boolean,
    failures: ListenerFailure[] | undefined,
  ): Promise<unknown> {
    try {
      await pending;
    } catch (error) {
      if (!this.#collect) throw error;
      (failures ??= []).push(failure(list[index]!, error));
    }
    for (index++; index < list.length; index++) {
      if (stoppable && (event as StoppableEvent).isPropagationStopped()) break;
      const registration = list[index]!;
      if (registration.once && !this.#claim(registration)) continue;
      try {
        const result = registration.call(event as never);
        if (isThenable(result)) await result;
      } catch (error) {
        if (!this.#collect) throw error;
        (failures ??= []).push(failure(registration, error));
      }
    }
    if (failures !== undefined) throw new ListenersFailedError(eventNameOf(key), failures);
    return event;
  }

  /** A `once` listener runs in exactly one dispatch, even when dispatches overlap. */
  #claim(registration: Registration): boolean {
    if (registration.spent) return false;
    registration.spent = true;
    this.#registry.remove(registration);
    return true;
  }

  #register(
    key: EventKey,
    call: (event: never) => unknown,
    listener: (...args: never[]) => unknown,
    options: ListenOptions | undefined,
    subscriber: object | undefined,
    name: string,
  ): Registration | undefined {
    assertKey(key);
    if (typeof listener !== 'function') {
      throw new InvalidArgumentError(
        `on(${describeKey(key)}): the listener must be a function, got ${describeValue(listener)}`,
      );
    }
    // Error texts are built only when options are given: on() without options stays cheap for churn.
    let priority = 0;
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      const where = `on(${describeKey(key)})`;
      assertKnownOptions(options, LISTEN_OPTIONS, where);
      if (options.priority !== undefined)
        priority = integerOption(options.priority, 0, `${where}: priority of ${name}`);
      signal = options.signal;
      if (signal !== undefined && !isAbortSignal(signal)) {
        throw new InvalidArgumentError(
          `${where}: signal must be an AbortSignal, got ${describeValue(signal)}`,
        );
      }
    }
    if (signal?.aborted) return undefined;
    const registration = new Registration(
      key,
      call,
      listener,
      priority,
      this.#sequence++,
      options?.once === true,
      subscriber,
      name,
    );
    this.#registry.add(registration);
    if (signal !== undefined) {
      const onAbort = (): void => void this.#registry.remove(registration);
      signal.addEventListener('abort', onAbort, { once: true });
      registration.detach = () => signal.removeEventListener('abort', onAbort);
    }
    return registration;
  }
}

function classOf(event: object): EventClass {
  if (typeof event !== 'object' || event === null) {
    throw new InvalidArgumentError(
      `dispatch: expected an event object or an event name, got ${describeValue(event)}`,
    );
  }
  const eventClass = (event as { constructor?: unknown }).constructor;
  if (typeof eventClass !== 'function') {
    throw new InvalidArgumentError(
      'dispatch: the event has no constructor (Object.create(null)?); dispatch a class instance or use dispatch(name, payload)',
    );
  }
  return eventClass;
}

function assertKey(key: unknown): asserts key is EventKey {
  if (typeof key === 'function' || (typeof key === 'string' && key !== '')) return;
  throw new InvalidArgumentError(
    `expected an event class or a non-empty event name, got ${describeValue(key)}`,
  );
}

function describeKey(key: unknown): string {
  return typeof key === 'function' || typeof key === 'string' ? eventNameOf(key) : describeValue(key);
}

function isStoppableValue(value: unknown): value is StoppableEvent {
  return typeof value === 'object' && value !== null && isStoppable(value);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== undefined && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AbortSignal).addEventListener === 'function' &&
    typeof (value as AbortSignal).aborted === 'boolean'
  );
}

function listenerName(listener: unknown): string {
  return typeof listener === 'function' && listener.name !== '' ? listener.name : '(anonymous listener)';
}

function failure(registration: Registration, error: unknown): ListenerFailure {
  return { listener: registration.name, priority: registration.priority, error };
}
