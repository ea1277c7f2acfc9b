import { Logger, type DynamicModule, type FactoryProvider, type Provider } from '@nestjs/common';
import {
  DiscoveryModule,
  DiscoveryService,
  ExternalContextCreator,
  ModuleRef,
  ModulesContainer,
} from '@nestjs/core';
import { EventDispatcher } from '../../dispatcher/event-dispatcher.js';
import { Flusher, type EventDispatching } from '../../deferred/flusher.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, optionKeys } from '../../internal/options.js';
import { Bridge } from '../../messaging/bridge.js';
import { Publisher } from '../../messaging/publisher.js';
import type { Transport } from '../../messaging/transport.js';
import { ComponentLog } from '../../messaging/logging/component-log.js';
import type { Logger as TidingsLogger } from '../../messaging/logging/logger.js';
import { logRelayEvents } from '../../messaging/logging/log-relay-events.js';
import { logTransportEvents } from '../../messaging/logging/log-transport-events.js';
import { nestLogger } from './nest-logger.js';
import { TidingsHealthIndicator } from './tidings-health-indicator.js';
import { TidingsLifecycle } from './tidings-lifecycle.js';
import { featureModule } from './tidings-feature.js';
import { assertTidingsFeatureOptions, type TidingsFeatureOptions } from './tidings-feature-options.js';
import {
  assertTidingsModuleOptions,
  resolveTidingsModuleOptions,
  type ResolvedTidingsModuleOptions,
  type TidingsModuleAsyncOptions,
  type TidingsModuleOptions,
} from './tidings-module-options.js';
import { TIDINGS_MODULE_OPTIONS, TIDINGS_TRANSPORT } from './tokens.js';

const ASYNC_OPTION_KEYS = optionKeys<TidingsModuleAsyncOptions<unknown[]>>({
  imports: true,
  inject: true,
  useFactory: true,
});

/**
 * tidings in a Nest application: a global module that provides the `EventDispatcher`, the `Flusher`,
 * the `Bridge`, a `Publisher` and the transport (`@Inject(TIDINGS_TRANSPORT)`); registers every
 * provider method marked `@OnEvent` on the dispatcher and starts a consumer for every method marked
 * `@Consume`, with nothing to call by hand; and connects, starts and stops everything with the
 * application (`app.enableShutdownHooks()` for SIGTERM): consumers stop and their running handlers
 * finish and settle, then the outbox relay stops, then the transport closes. A feature module imports
 * `TidingsModule.forFeature()` to set its own consumers' defaults and the events it forwards.
 *
 * @example
 * @Module({
 *   imports: [TidingsModule.forRoot({ transport: () => createTransport(), appId: 'billing' })],
 *   providers: [Mailer, Billing],
 * })
 * class AppModule {}
 */
export class TidingsModule {
  /** Configures the module with options known when the application module is defined. */
  static forRoot(options: TidingsModuleOptions): DynamicModule {
    const where = 'TidingsModule.forRoot';
    assertTidingsModuleOptions(options, where);
    return dynamicModule([], {
      provide: TIDINGS_MODULE_OPTIONS,
      useFactory: () => resolveTidingsModuleOptions(options, where),
    });
  }

  /**
   * Configures the module with options computed from other providers (configuration, secrets).
   *
   * @example
   * TidingsModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({ transport: createTransport(), appId: config.get('APP_ID') }),
   * })
   */
  static forRootAsync<Args extends unknown[]>(options: TidingsModuleAsyncOptions<Args>): DynamicModule {
    const where = 'TidingsModule.forRootAsync';
    assertKnownOptions(options, ASYNC_OPTION_KEYS, where);
    if (typeof options?.useFactory !== 'function') {
      throw new InvalidArgumentError(
        `${where}: "useFactory" must be a function returning the options, got ${describeValue(options?.useFactory)}`,
      );
    }
    const factory = options.useFactory;
    return dynamicModule(options.imports ?? [], {
      provide: TIDINGS_MODULE_OPTIONS,
      inject: options.inject ?? [],
      useFactory: async (...args: unknown[]) =>
        resolveTidingsModuleOptions(await factory(...(args as Args)), where),
    });
  }

  /**
   * Declares what belongs to one feature module: defaults for the `@Consume` methods of the providers
   * it declares (`consumerDefaults`, which the decorator's own options override) and the events it
   * forwards to the broker (`forward`, added to the root module's). Import it in that module; the
   * transport, bridge and dispatcher are the root module's, so `forRoot()` or `forRootAsync()` must be
   * imported too (the application start fails, saying so, otherwise).
   *
   * @example
   * @Module({
   *   imports: [
   *     TidingsModule.forFeature({
   *       consumerDefaults: { maxAttempts: 3, repeatDelaysMs: [1000] },
   *       forward: [{ event: InvoiceIssued, routingKey: 'invoice.issued' }],
   *     }),
   *   ],
   *   providers: [Billing],
   * })
   * class BillingModule {}
   */
  static forFeature(options: TidingsFeatureOptions = {}): DynamicModule {
    const where = 'TidingsModule.forFeature';
    assertTidingsFeatureOptions(options, where);
    return featureModule(options, where);
  }
}

function dynamicModule(
  imports: NonNullable<DynamicModule['imports']>,
  optionsProvider: FactoryProvider<ResolvedTidingsModuleOptions>,
): DynamicModule {
  const logger = new Logger('TidingsModule');
  const adapted = nestLogger(logger);
  const providers: Provider[] = [
    optionsProvider,
    {
      provide: TIDINGS_TRANSPORT,
      inject: [TIDINGS_MODULE_OPTIONS],
      useFactory: (options: ResolvedTidingsModuleOptions): Transport => {
        // An 'error' nobody listens to would go unseen: the module writes every report to its logger.
        logTransportEvents(options.transport, new ComponentLog(options.logger ?? adapted, 'Transport'));
        return options.transport;
      },
    },
    {
      provide: EventDispatcher,
      inject: [TIDINGS_MODULE_OPTIONS],
      useFactory: (options: ResolvedTidingsModuleOptions) => new EventDispatcher(options.dispatcher),
    },
    {
      provide: Flusher,
      inject: [TIDINGS_MODULE_OPTIONS, EventDispatcher],
      useFactory: (options: ResolvedTidingsModuleOptions, dispatcher: EventDispatcher) =>
        new Flusher<unknown>({
          dispatcher: dispatchingIn(options.dispatchContext, dispatcher),
          unitOfWork: options.unitOfWork,
          maxRounds: options.maxFlushRounds,
        }),
    },
    {
      provide: Bridge,
      inject: [TIDINGS_MODULE_OPTIONS, EventDispatcher, Flusher, TIDINGS_TRANSPORT],
      useFactory: (
        options: ResolvedTidingsModuleOptions,
        dispatcher: EventDispatcher,
        flusher: Flusher<unknown>,
        transport: Transport,
      ) => createBridge(options, dispatcher, flusher, transport, options.logger ?? adapted),
    },
    {
      provide: Publisher,
      inject: [TIDINGS_MODULE_OPTIONS, TIDINGS_TRANSPORT],
      useFactory: (options: ResolvedTidingsModuleOptions, transport: Transport) =>
        new Publisher(transport, options.appId === undefined ? {} : { appId: options.appId }),
    },
    {
      provide: TidingsLifecycle,
      inject: [
        TIDINGS_MODULE_OPTIONS,
        EventDispatcher,
        Bridge,
        DiscoveryService,
        ModuleRef,
        ModulesContainer,
        ExternalContextCreator,
      ],
      useFactory: (
        options: ResolvedTidingsModuleOptions,
        dispatcher: EventDispatcher,
        bridge: Bridge,
        discovery: DiscoveryService,
        moduleRef: ModuleRef,
        modules: ModulesContainer,
        contextCreator: ExternalContextCreator,
      ) =>
        new TidingsLifecycle(options, dispatcher, bridge, discovery, moduleRef, logger, {
          modules,
          contextCreator,
        }),
    },
    {
      provide: TidingsHealthIndicator,
      inject: [TIDINGS_MODULE_OPTIONS, Bridge, ModuleRef],
      useFactory: (options: ResolvedTidingsModuleOptions, bridge: Bridge, moduleRef: ModuleRef) =>
        new TidingsHealthIndicator(bridge, options.relay, moduleRef),
    },
  ];
  return {
    module: TidingsModule,
    global: true,
    imports: [DiscoveryModule, ...imports],
    providers,
    exports: [TIDINGS_TRANSPORT, EventDispatcher, Flusher, Bridge, Publisher, TidingsHealthIndicator],
  };
}

/** The bridge: forwards the configured events (through the outbox when there is one); logs what it reports. */
function createBridge(
  options: ResolvedTidingsModuleOptions,
  dispatcher: EventDispatcher,
  flusher: Flusher<unknown>,
  transport: Transport,
  logger: TidingsLogger,
): Bridge {
  const bridge = new Bridge({
    dispatcher,
    transport,
    logger, // the consumers' warnings and errors
    ...(options.appId !== undefined ? { appId: options.appId } : {}),
    ...(options.repeatCounter !== undefined ? { repeatCounter: options.repeatCounter } : {}),
    ...(options.deadLetter !== undefined ? { deadLetter: options.deadLetter } : {}),
  });
  for (const { event, ...route } of options.forward) bridge.forward(event, route);
  if (options.outbox !== undefined) bridge.useOutbox(flusher, options.outbox, options.relay);
  // The relay goes on after an error (it retries the database and the broker by itself): logged here.
  if (options.relay !== undefined) logRelayEvents(options.relay, new ComponentLog(logger, 'OutboxRelay'));
  // A handler's failure is the consumer's to settle (repeat, dead letter); the log says where it went.
  const log = new ComponentLog(logger, 'Consumer');
  bridge.on('settled', (settled) => {
    if (settled.outcome === 'repeated') {
      const { queue, messageId, attempt, delayMs } = settled;
      log.warn(
        'message-repeated',
        `${queue}: message ${messageId} failed on attempt ${attempt}, repeated in ${delayMs} ms: ${describeError(settled.error)}`,
        { queue, messageId, attempt, delayMs, err: settled.error },
      );
    } else if (settled.outcome === 'dead-lettered') {
      const { queue, messageId, attempt, reason } = settled;
      log.error(
        'message-dead-lettered',
        `${queue}: message ${messageId} dead-lettered (${reason}) on attempt ${attempt}: ${describeError(settled.error)}`,
        { queue, messageId, attempt, reason, err: settled.error },
      );
    }
  });
  return bridge;
}

/** The Flusher's dispatcher: each dispatch run through `dispatchContext`, when there is one. */
function dispatchingIn(
  context: ResolvedTidingsModuleOptions['dispatchContext'],
  dispatcher: EventDispatcher,
): EventDispatching {
  if (context === undefined) return dispatcher;
  return { dispatch: (event) => context(() => dispatcher.dispatch(event)) };
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
