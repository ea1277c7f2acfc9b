import { types } from 'node:util';
import { ContextIdFactory, ModuleRef, type DiscoveryService } from '@nestjs/core';
import type { ConsumedMessage } from '../../messaging/consumer/consumed-message.js';

/** What discovery hands out for each provider (Nest's `InstanceWrapper`, a deep import we avoid naming). */
type InstanceWrapper = ReturnType<DiscoveryService['getProviders']>[number];

/**
 * What a per-event or per-message context registers as Nest's `REQUEST` there: a provider of the
 * context can `@Inject(REQUEST)` it to see what it runs for.
 */
export type TidingsRequest<P = unknown> =
  { readonly event: object } | { readonly message: ConsumedMessage<P> };

/**
 * A provider or controller found by discovery, with the way to get the instance a call runs on. A
 * singleton (static dependency tree) is used as it is. A request-scoped, durable or transient one, or
 * one that depends on such a provider, is resolved anew for each event or message, in a context of its
 * own, with the event or message registered as its `REQUEST`: the same instance is never shared by two
 * messages, and no HTTP request (nor its guards, interceptors or pipes) is involved.
 */
export class DiscoveredProvider {
  readonly name: string;
  /** Where its methods (and their `@OnEvent`/`@Consume` marks) are found. */
  readonly prototype: object;
  /** The singleton, or `undefined` when each call resolves its own instance. */
  readonly instance: object | undefined;
  /** The module that declares it (where its `TidingsModule.forFeature()` is imported, if any). */
  readonly host: InstanceWrapper['host'];
  readonly #wrapper: InstanceWrapper;
  readonly #moduleRef: ModuleRef;

  private constructor(
    wrapper: InstanceWrapper,
    prototype: object,
    instance: object | undefined,
    moduleRef: ModuleRef,
  ) {
    this.#wrapper = wrapper;
    this.prototype = prototype;
    this.instance = instance;
    this.host = wrapper.host;
    this.#moduleRef = moduleRef;
    const ctor = (prototype as { constructor?: { name?: unknown } }).constructor;
    this.name = typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : String(wrapper.name);
  }

  /**
   * The providers and controllers worth scanning: each singleton instance once (a value provider
   * registered in two modules is one object), and the class of each provider resolved per context
   * (once per module that declares it, as Nest keeps one provider per module).
   * Aliases (`useExisting`) are skipped: their target is scanned itself. A factory provider resolved per
   * context is skipped too: what its factory returns is unknown until it runs. So are singletons that
   * are proxies: nestjs-cls's proxy providers (`CLS_REQ`, `@InjectTransaction()`'s transaction) stand
   * for a value that exists only inside a CLS context, and throw when a member is read outside one, as
   * at bootstrap; a listener bound to such a proxy would not have a fixed instance either.
   */
  static discover(discovery: DiscoveryService, moduleRef: ModuleRef): DiscoveredProvider[] {
    // `new this(…)`, not the class's name: a class that names itself inside its body is renamed by the
    // ES module bundle (scripts/bundle-esm.mjs).
    const found: DiscoveredProvider[] = [];
    const seen = new Set<object>();
    for (const wrapper of [...discovery.getProviders(), ...discovery.getControllers()]) {
      if (wrapper.isAlias) continue;
      if (wrapper.isDependencyTreeStatic() && !wrapper.isTransient) {
        const instance = wrapper.instance as unknown;
        if (typeof instance !== 'object' || instance === null || seen.has(instance)) continue;
        if (types.isProxy(instance)) continue;
        seen.add(instance);
        const prototype = Object.getPrototypeOf(instance) as object | null;
        if (prototype === null) continue;
        found.push(new this(wrapper, prototype, instance, moduleRef));
        continue;
      }
      const type = wrapper.metatype;
      if (wrapper.inject || typeof type !== 'function') continue;
      found.push(new this(wrapper, type.prototype as object, undefined, moduleRef));
    }
    return found;
  }

  /** The instance this call runs on: the singleton, or one resolved for `request` alone. */
  async instanceFor(request: TidingsRequest): Promise<object> {
    if (this.instance !== undefined) return this.instance;
    // A fresh context per call (not ContextIdFactory.getByRequest): a ContextIdStrategy written for
    // HTTP requests would be handed a message it does not expect.
    const contextId = ContextIdFactory.create();
    this.#moduleRef.registerRequestByContextId(request, contextId);
    // Through the ModuleRef of the module that declares the provider, strictly: the same class may be
    // provided by two modules, each with its own dependencies.
    const host: ModuleRef | undefined = this.#wrapper.host?.getProviderByKey(ModuleRef)?.instance;
    return (host ?? this.#moduleRef).resolve<unknown, object>(this.#wrapper.token, contextId, {
      strict: host !== undefined,
    });
  }
}

/**
 * The methods of a prototype chain (most derived definition of a name first, as a class sees them),
 * without `constructor` and accessors (reading a getter would run it).
 */
export function methodsOf(prototype: object): { name: string | symbol; method: object }[] {
  const methods: { name: string | symbol; method: object }[] = [];
  const seen = new Set<string | symbol>();
  for (
    let proto: object | null = prototype;
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const name of Reflect.ownKeys(proto)) {
      if (name === 'constructor' || seen.has(name)) continue;
      seen.add(name);
      const value = Object.getOwnPropertyDescriptor(proto, name)?.value as unknown;
      if (typeof value === 'function') methods.push({ name, method: value });
    }
  }
  return methods;
}
