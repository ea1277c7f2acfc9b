import type { LoggerService } from '@nestjs/common';
import type { EventDispatcher } from '../../dispatcher/event-dispatcher.js';
import type { EventClass } from '../../dispatcher/event-types.js';
import { decoratedSubscriptions, subscriptionsOf } from '../../dispatcher/subscriptions.js';
import type { DiscoveredProvider } from './discovered-provider.js';

/**
 * Registers the listeners of every discovered provider on the dispatcher, in discovery order (so equal
 * priorities run in the order Nest lists the modules and their providers).
 *
 * A singleton is added with `addSubscriber`: its `@OnEvent` methods and its `getSubscribedEvents()`
 * entries, bound to it. A provider resolved per context gets one listener per `@OnEvent`, which
 * resolves a fresh instance for each event (`REQUEST` is `{ event }`); such a listener is asynchronous,
 * so its events must be dispatched with `dispatch()`, not `dispatchSync()`. Its `getSubscribedEvents()`
 * cannot be read without an instance: it is ignored, with a warning.
 */
export function registerListeners(
  providers: readonly DiscoveredProvider[],
  dispatcher: EventDispatcher,
  logger: LoggerService,
): void {
  for (const provider of providers) {
    if (provider.instance !== undefined) {
      if (subscriptionsOf(provider.instance).length > 0) dispatcher.addSubscriber(provider.instance);
      continue;
    }
    const probe = Object.create(provider.prototype) as object;
    if (typeof (provider.prototype as { getSubscribedEvents?: unknown }).getSubscribedEvents === 'function') {
      logger.warn(
        `${provider.name} is resolved per event (request-scoped, durable or transient): its ` +
          `getSubscribedEvents() is not read, only its @OnEvent methods are registered`,
      );
    }
    for (const subscription of decoratedSubscriptions(probe)) {
      const methodName = subscription.methodName;
      const listener = async (event: object): Promise<unknown> => {
        const instance = (await provider.instanceFor({ event })) as Record<string | symbol, unknown>;
        return (instance[methodName] as (event: object) => unknown).call(instance, event);
      };
      // Named as addSubscriber names a subscriber's method, for getListeners() and describeListeners().
      Object.defineProperty(listener, 'name', { value: `${provider.name}.${String(methodName)}` });
      // The key is a class or a name; the dispatcher's overloads tell them apart, this loop need not.
      dispatcher.on(subscription.key as EventClass, listener, { priority: subscription.priority });
    }
  }
}
