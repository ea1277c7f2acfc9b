import { Logger, type DynamicModule, type FactoryProvider, type Provider } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, ModuleRef } from '@nestjs/core';
import { EventDispatcher } from '../../dispatcher/event-dispatcher.js';
import { Flusher, type EventDispatching } from '../../deferred/flusher.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, optionKeys } from '../../internal/options.js';
import { Bridge } from '../../messaging/bridge.js';
import { Publisher } from '../../messaging/publisher.js';
import type { Transport } from '../../messaging/transport.js';
import { TidingsLifecycle } from './tidings-lifecycle.js';
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
 * finish and settle, then the outbox relay stops, then the transport closes.
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
}

function dynamicModule(
  imports: NonNullable<DynamicModule['imports']>,
  optionsProvider: FactoryProvider<ResolvedTidingsModuleOptions>,
): DynamicModule {
  const logger = new Logger('TidingsModule');
  const providers: Provider[] = [
    optionsProvider,
    {
      provide: TIDINGS_TRANSPORT,
      inject: [TIDINGS_MODULE_OPTIONS],
      useFactory: (options: ResolvedTidingsModuleOptions): Transport => {
        options.transport.on('error', (error) => logger.error(`Transport: ${error.message}`, error.stack));
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
      ) => createBridge(options, dispatcher, flusher, transport, logger),
    },
    {
      provide: Publisher,
      inject: [TIDINGS_MODULE_OPTIONS, TIDINGS_TRANSPORT],
      useFactory: (options: ResolvedTidingsModuleOptions, transport: Transport) =>
        new Publisher(transport, options.appId === undefined ? {} : { appId: options.appId }),
    },
    {
      provide: TidingsLifecycle,
      inject: [TIDINGS_MODULE_OPTIONS, EventDispatcher, Bridge, DiscoveryService, ModuleRef],
      useFactory: (
        options: ResolvedTidingsModuleOptions,
        dispatcher: EventDispatcher,
        bridge: Bridge,
        discovery: DiscoveryService,
        moduleRef: ModuleRef,
      ) => new TidingsLifecycle(options, dispatcher, bridge, discovery, moduleRef, logger),
    },
  ];
  return {
    module: TidingsModule,
    global: true,
    imports: [DiscoveryModule, ...imports],
    providers,
    exports: [TIDINGS_TRANSPORT, EventDispatcher, Flusher, Bridge, Publisher],
  };
}

/** The bridge: forwards the configured events (through the outbox when there is one); logs what it reports. */
function createBridge(
  options: ResolvedTidingsModuleOptions,
  dispatcher: EventDispatcher,
  flusher: Flusher<unknown>,
  transport: Transport,
  logger: Logger,
): Bridge {
  const bridge = new Bridge({
    dispatcher,
    transport,
    ...(options.appId !== undefined ? { appId: options.appId } : {}),
    ...(options.repeatCounter !== undefined ? { repeatCounter: options.repeatCounter } : {}),
    ...(options.deadLetter !== undefined ? { deadLetter: options.deadLetter } : {}),
  });
  for (const { event, ...route } of options.forward) bridge.forward(event, route);
  if (options.outbox !== undefined) bridge.useOutbox(flusher, options.outbox, options.relay);
  const relay = options.relay;
  if (relay !== undefined) {
    // An 'error' nobody listens to throws inside the relay's loop and ends the process; here it is
    // logged and the relay goes on (it retries the database and the broker by itself).
    relay.on('error', (error) => logger.error(`Outbox relay: ${error.message}`, error.stack));
    relay.on('failed', ({ id, attempts, error }) =>
      logger.warn(`Outbox relay: row ${id} not published (attempt ${attempts}): ${describeError(error)}`),
    );
  }
  // A handler's failure is the consumer's to settle (repeat, dead letter); the log says where it went.
  bridge.on('settled', (settled) => {
    if (settled.outcome === 'repeated') {
      logger.warn(
        `${settled.queue}: message ${settled.messageId} failed on attempt ${settled.attempt}, repeated in ${settled.delayMs} ms: ${describeError(settled.error)}`,
      );
    } else if (settled.outcome === 'dead-lettered') {
      logger.error(
        `${settled.queue}: message ${settled.messageId} dead-lettered (${settled.reason}) on attempt ${settled.attempt}: ${describeError(settled.error)}`,
      );
    }
  });
  bridge.on('warning', (warning) => logger.warn(warning.message));
  bridge.on('error', (error) => logger.error(error.message, error.stack));
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
