import type {
  BeforeApplicationShutdown,
  LoggerService,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import type { DiscoveryService, ExternalContextCreator, ModuleRef, ModulesContainer } from '@nestjs/core';
import type { EventDispatcher } from '../../dispatcher/event-dispatcher.js';
import type { Bridge } from '../../messaging/bridge.js';
import { DiscoveredProvider } from './discovered-provider.js';
import { FeatureRegistry } from './feature-registry.js';
import { assertDistinctRoutes } from './forward-routes.js';
import { registerConsumers } from './register-consumers.js';
import { registerListeners } from './register-listeners.js';
import type { ResolvedTidingsModuleOptions } from './tidings-module-options.js';

/** What the lifecycle reads of Nest itself: the module graph, and the maker of handler contexts. */
export interface NestServices {
  readonly modules: ModulesContainer;
  readonly contextCreator: ExternalContextCreator;
}

/**
 * Runs the module's part of the application lifecycle (internal; a provider of `TidingsModule`).
 *
 * - `onModuleInit`: discovery. The `forward` routes of the `TidingsModule.forFeature()` modules go on
 *   the bridge, `@OnEvent` methods on the dispatcher, `@Consume` methods become consumers of the bridge
 *   (with the `consumerDefaults` of their module's feature). The module is global, and Nest initializes global modules first, so the
 *   listeners are there before any other module's `onModuleInit` dispatches.
 * - `onApplicationBootstrap`: the transport connects, the relay starts, the consumers start.
 * - `beforeApplicationShutdown`: the consumers stop taking messages, the running handlers finish and
 *   their messages are settled; then the relay stops (after the handlers, whose transactions may have
 *   written outbox rows).
 * - `onApplicationShutdown`: the transport closes, last, after every other module's shutdown hooks
 *   (the global module's hooks run last on shutdown), which may still publish.
 *
 * A step of the shutdown that fails is logged and the next steps still run: the transport is closed
 * even when a handler would not stop.
 */
export class TidingsLifecycle
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  /** The queues of the `@Consume` methods found, in declaration order. */
  queues: readonly string[] = [];
  readonly #options: ResolvedTidingsModuleOptions;
  readonly #dispatcher: EventDispatcher;
  readonly #bridge: Bridge;
  readonly #discovery: DiscoveryService;
  readonly #moduleRef: ModuleRef;
  readonly #logger: LoggerService;
  readonly #nest: NestServices;

  constructor(
    options: ResolvedTidingsModuleOptions,
    dispatcher: EventDispatcher,
    bridge: Bridge,
    discovery: DiscoveryService,
    moduleRef: ModuleRef,
    logger: LoggerService,
    nest: NestServices,
  ) {
    this.#options = options;
    this.#dispatcher = dispatcher;
    this.#bridge = bridge;
    this.#discovery = discovery;
    this.#moduleRef = moduleRef;
    this.#logger = logger;
    this.#nest = nest;
  }

  onModuleInit(): void {
    const features = new FeatureRegistry(this.#nest.modules);
    const featureRoutes = features.routes();
    // The root's routes are on the bridge already (checked by forRoot); a feature's may repeat one.
    assertDistinctRoutes([
      { owner: 'TidingsModule.forRoot', routes: this.#options.forward },
      ...featureRoutes,
    ]);
    for (const { routes } of featureRoutes) {
      for (const { event, ...route } of routes) this.#bridge.forward(event, route);
    }
    const providers = DiscoveredProvider.discover(this.#discovery, this.#moduleRef);
    registerListeners(providers, this.#dispatcher, this.#logger);
    this.queues = registerConsumers(providers, {
      bridge: this.#bridge,
      features,
      contextCreator: this.#nest.contextCreator,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.#options.transport.connect();
    const relay = this.#options.relay;
    relay?.start();
    try {
      await this.#bridge.start();
    } catch (error) {
      // The application will not boot: a relay left running would keep publishing behind its back.
      if (relay !== undefined) await this.#step('stopping the outbox relay', () => relay.stop());
      throw error;
    }
    if (this.queues.length > 0) this.#logger.log(`Consuming ${this.queues.join(', ')}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.#step('stopping the consumers', () => this.#bridge.close());
    const relay = this.#options.relay;
    if (relay !== undefined) await this.#step('stopping the outbox relay', () => relay.stop());
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.#options.closeTransport) return;
    await this.#step('closing the transport', () => this.#options.transport.close());
  }

  async #step(what: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.#logger.error(
        `Failed ${what}: ${String(error)}`,
        error instanceof Error ? error.stack : undefined,
      );
    }
  }
}
