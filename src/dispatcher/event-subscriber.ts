import type { EventKey } from './event-types.js';

/** The names of the methods of `S` that can be listeners (not `getSubscribedEvents` itself). */
export type MethodName<S> = Exclude<
  {
    [K in keyof S]-?: S[K] extends (...args: never[]) => unknown ? K : never;
  }[keyof S] &
    string,
  'getSubscribedEvents'
>;

/** `'method'`, `['method', priority]`, or a list of those, as in Symfony's `getSubscribedEvents()`. */
export type MethodSubscription<S> =
  | MethodName<S>
  | readonly [MethodName<S>]
  | readonly [MethodName<S>, number]
  | readonly (readonly [MethodName<S>] | readonly [MethodName<S>, number])[];

/**
 * The return type of `getSubscribedEvents()`, checked against the methods of `S`: a misspelt method
 * name is a compile error.
 *
 * @example
 * class Mailer implements EventSubscriber {
 *   getSubscribedEvents(): SubscribedEvents<Mailer> {
 *     return [
 *       [OrderPlaced, 'onPlaced'],
 *       [OrderShipped, ['onShipped', 10]],
 *       ['user.login', [['audit', 100], ['greet', -5]]],
 *     ];
 *   }
 *   onPlaced(e: OrderPlaced) {} onShipped(e: OrderShipped) {} audit() {} greet() {}
 * }
 */
export type SubscribedEvents<S> = readonly (readonly [EventKey, MethodSubscription<S>])[];

/** A subscriber without decorators: it lists its listeners itself. */
export interface EventSubscriber {
  getSubscribedEvents(): readonly (readonly [
    EventKey,
    string | readonly [string, number?] | readonly (readonly [string, number?])[],
  ])[];
}
