import type { DynamicModule, FactoryProvider } from '@nestjs/common';
import type { EventDispatcherOptions } from '../../dispatcher/event-dispatcher.js';
import type { UnitOfWork } from '../../deferred/unit-of-work.js';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { assertKnownOptions, describeValue, integerOption, optionKeys } from '../../internal/options.js';
import type { DeadLetterNames } from '../../messaging/names.js';
import type { Outbox } from '../../messaging/outbox/outbox.js';
import type { OutboxRelay } from '../../messaging/outbox/outbox-relay.js';
import type { RepeatCounter } from '../../messaging/repeat/repeat-counter.js';
import type { Transport } from '../../messaging/transport.js';
import { loggerOption, type Logger } from '../../messaging/logging/logger.js';
import { assertDistinctRoutes, assertForwardRoutes, type ForwardRoute } from './forward-routes.js';

/**
 * The options of `TidingsModule.forRoot()`, and what the factory of `forRootAsync()` returns.
 *
 * @example
 * TidingsModule.forRoot({
 *   transport: () => createTransport(), // tidings/rabbitmq: RabbitMQ when AMQP_URL is set
 *   appId: 'billing',
 *   forward: [{ event: OrderPlaced, routingKey: 'order.placed' }],
 * })
 */
export interface TidingsModuleOptions {
  /**
   * Where messages go: a `Transport` (`new MemoryTransport()`, `createTransport()` from
   * `tidings/rabbitmq`), or a function that creates it when the module is instantiated. The module
   * connects it at application bootstrap and closes it at shutdown (see `closeTransport`).
   */
  transport: Transport | (() => Transport);
  /** This service's name: the `appId` of what it publishes and the prefix of its dead-letter names. @defaultValue process.env.TIDINGS_APP_ID ?? 'tidings' */
  appId?: string;
  /** Options of the `EventDispatcher` the module provides. @defaultValue {} */
  dispatcher?: EventDispatcherOptions;
  /**
   * The transaction boundary of the `Flusher` the module provides (`PgUnitOfWork`, an ORM's unit of
   * work…). @defaultValue new InMemoryUnitOfWork()
   */
  unitOfWork?: UnitOfWork<unknown>;
  /** How many dispatch rounds one flush may run (`Flusher` option `maxRounds`). @defaultValue 10 */
  maxFlushRounds?: number;
  /**
   * Runs each event the `Flusher` dispatches after a commit, in the async context it makes. With
   * `@nestjs-cls/transactional`, give `(dispatch) => txHost.withoutTransaction(dispatch)`:
   * `RecordedEventsSubscriber` dispatches from inside TypeORM's commit, where the host still holds the
   * committed transaction, so a `@Transactional()` method a listener calls would join that one (its
   * writes then commit one by one, and its error undoes nothing) instead of beginning its own.
   * @defaultValue undefined (dispatched in the caller's context)
   */
  dispatchContext?: <T>(dispatch: () => Promise<T>) => Promise<T>;
  /** Counts deliveries of every `@Consume` queue outside the message. @defaultValue new MemoryRepeatCounter() */
  repeatCounter?: RepeatCounter;
  /** @defaultValue `defaultDeadLetterNames(appId)`: `<appId>.dead-letter` and `<appId>.dead-letters` */
  deadLetter?: Partial<DeadLetterNames>;
  /** Event classes the `Bridge` publishes to the broker when they are dispatched. @defaultValue [] */
  forward?: readonly ForwardRoute[];
  /**
   * A transactional outbox: forwarded events dispatched by a `Flusher` flush are written to it in the
   * transaction (`Bridge.useOutbox`), and `relay` publishes them.
   */
  outbox?: Outbox<unknown>;
  /**
   * The relay of `outbox`: nudged after each commit, started at application bootstrap and stopped at
   * shutdown, after the consumers and before the transport.
   */
  relay?: OutboxRelay;
  /**
   * Close the transport at application shutdown, after the consumers and the relay. Set to false when
   * the transport is shared with something that outlives the Nest application.
   * @defaultValue true
   */
  closeTransport?: boolean;
  /**
   * Where the module writes what its transport, consumers and relay report (with a stable `code` each,
   * the error under `err`): a pino logger, say. Give the transport and the relay no logger of their own
   * as well, or their entries are written twice.
   * @defaultValue Nest's `Logger` (context `TidingsModule`), adapted
   */
  logger?: Logger;
}

/** What `TidingsModule.forRootAsync()` takes: the options come from a factory with injected arguments. */
export interface TidingsModuleAsyncOptions<Args extends unknown[] = never[]> {
  /** Modules that export what `inject` names (a `ConfigModule`…). @defaultValue [] */
  imports?: DynamicModule['imports'];
  /** The providers whose instances `useFactory` receives, in order. @defaultValue [] */
  inject?: FactoryProvider['inject'];
  useFactory: (...args: Args) => TidingsModuleOptions | Promise<TidingsModuleOptions>;
}

/** The options with every default applied and every value checked. */
export interface ResolvedTidingsModuleOptions {
  readonly transport: Transport;
  readonly appId: string | undefined;
  readonly dispatcher: EventDispatcherOptions;
  readonly unitOfWork: UnitOfWork<unknown> | undefined;
  readonly maxFlushRounds: number;
  readonly dispatchContext: (<T>(dispatch: () => Promise<T>) => Promise<T>) | undefined;
  readonly repeatCounter: RepeatCounter | undefined;
  readonly deadLetter: Partial<DeadLetterNames> | undefined;
  readonly forward: readonly ForwardRoute[];
  readonly outbox: Outbox<unknown> | undefined;
  readonly relay: OutboxRelay | undefined;
  readonly closeTransport: boolean;
  readonly logger: Logger | undefined;
}

const OPTION_KEYS = optionKeys<TidingsModuleOptions>({
  transport: true,
  appId: true,
  dispatcher: true,
  unitOfWork: true,
  maxFlushRounds: true,
  dispatchContext: true,
  repeatCounter: true,
  deadLetter: true,
  forward: true,
  outbox: true,
  relay: true,
  closeTransport: true,
  logger: true,
});

/**
 * Checks the options, naming the first bad one, without creating anything: `forRoot` calls it at once,
 * so a misspelt key fails where it is written. `where` is `TidingsModule.forRoot` or `…forRootAsync`.
 */
export function assertTidingsModuleOptions(options: TidingsModuleOptions, where: string): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${where}: options must be an object, got ${describeValue(options)}`);
  }
  assertKnownOptions(options, OPTION_KEYS, where);
  if (typeof options.transport !== 'function') assertTransport(options.transport, where);
  else if (typeof (options.transport.prototype as Partial<Transport> | undefined)?.publish === 'function') {
    // A class would be called without `new` at instantiation: say so here, naming the option.
    throw new InvalidArgumentError(
      `${where}: "transport" must be a Transport instance or a function returning one, not the class ` +
        `${options.transport.name} (write new ${options.transport.name}(…) or () => new ${options.transport.name}(…))`,
    );
  }
  if (options.appId !== undefined && (typeof options.appId !== 'string' || options.appId === '')) {
    throw new InvalidArgumentError(
      `${where}: "appId" must be a non-empty string, got ${describeValue(options.appId)}`,
    );
  }
  if (options.unitOfWork !== undefined && typeof options.unitOfWork?.transaction !== 'function') {
    throw new InvalidArgumentError(
      `${where}: "unitOfWork" must have a transaction() method, got ${describeValue(options.unitOfWork)}`,
    );
  }
  const forward = options.forward ?? [];
  assertForwardRoutes(forward, where);
  assertDistinctRoutes([{ owner: where, routes: forward }]);
  if (options.outbox !== undefined && typeof options.outbox?.add !== 'function') {
    throw new InvalidArgumentError(
      `${where}: "outbox" must be an Outbox, got ${describeValue(options.outbox)}`,
    );
  }
  if (options.relay !== undefined) {
    const relay = options.relay as Partial<OutboxRelay> | null;
    if (typeof relay?.start !== 'function' || typeof relay.stop !== 'function') {
      throw new InvalidArgumentError(`${where}: "relay" must be an OutboxRelay, got ${describeValue(relay)}`);
    }
    if (options.outbox === undefined) {
      // Without the outbox, nothing would write the rows this relay publishes: a configuration mistake.
      throw new InvalidArgumentError(`${where}: "relay" needs "outbox" (the outbox it publishes)`);
    }
  }
  if (options.closeTransport !== undefined && typeof options.closeTransport !== 'boolean') {
    throw new InvalidArgumentError(
      `${where}: "closeTransport" must be a boolean, got ${describeValue(options.closeTransport)}`,
    );
  }
  integerOption(options.maxFlushRounds, 10, `${where}: maxFlushRounds`, 1);
  loggerOption(options.logger, where);
  if (options.dispatchContext !== undefined && typeof options.dispatchContext !== 'function') {
    throw new InvalidArgumentError(
      `${where}: "dispatchContext" must be a function, got ${describeValue(options.dispatchContext)}`,
    );
  }
}

/**
 * Checks the options and applies the defaults; creates the transport when a function was given (once,
 * as the module is instantiated). The components the module builds (`Bridge`, `Flusher`…) check their
 * own options again; this catches what only the module sees, before any of them exists.
 */
export function resolveTidingsModuleOptions(
  options: TidingsModuleOptions,
  where: string,
): ResolvedTidingsModuleOptions {
  assertTidingsModuleOptions(options, where);
  const transport = typeof options.transport === 'function' ? options.transport() : options.transport;
  assertTransport(transport, where);
  return {
    transport,
    appId: options.appId,
    dispatcher: options.dispatcher ?? {},
    unitOfWork: options.unitOfWork,
    maxFlushRounds: integerOption(options.maxFlushRounds, 10, `${where}: maxFlushRounds`, 1),
    dispatchContext: options.dispatchContext,
    repeatCounter: options.repeatCounter,
    deadLetter: options.deadLetter,
    forward: options.forward ?? [],
    outbox: options.outbox,
    relay: options.relay,
    closeTransport: options.closeTransport ?? true,
    logger: options.logger,
  };
}

function assertTransport(transport: unknown, where: string): asserts transport is Transport {
  const candidate = transport as Partial<Transport> | null | undefined;
  if (typeof candidate?.publish !== 'function' || typeof candidate.consume !== 'function') {
    throw new InvalidArgumentError(
      `${where}: "transport" must be a Transport or a function returning one (new MemoryTransport(), ` +
        `createTransport() from 'tidings/rabbitmq'), got ${describeValue(transport)}`,
    );
  }
}
