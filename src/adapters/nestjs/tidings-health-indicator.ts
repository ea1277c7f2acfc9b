import type { ModuleRef } from '@nestjs/core';
import { PeerDependencyMissingError } from '../../errors/peer-dependency-missing-error.js';
import { assertKnownOptions, integerOption, optionKeys } from '../../internal/options.js';
import { requireOptional } from '../../internal/require-optional.js';
import type { Bridge } from '../../messaging/bridge.js';
import type { ConsumerHealth } from '../../messaging/health/consumer-health.js';
import type { HealthStatus } from '../../messaging/health/health-status.js';
import type { OutboxRelayHealth } from '../../messaging/health/relay-health.js';
import type { TransportHealth } from '../../messaging/health/transport-health.js';
import type { OutboxRelay } from '../../messaging/outbox/outbox-relay.js';

/** Options of `TidingsHealthIndicator.isHealthy()`. */
export interface TidingsHealthCheckOptions {
  /**
   * With an outbox relay: a lag (age of the oldest unpublished row) above this is down.
   * @defaultValue 60000
   */
  maxRelayLagMs?: number;
}

/** What the check reports under its key, next to `status`. */
export interface TidingsHealthDetails {
  transport: TransportHealth;
  /** The `@Consume` queues' consumers. */
  consumers: ConsumerHealth[];
  /** The outbox relay, when the module has one. */
  relay?: OutboxRelayHealth;
  /** When down: what is, e.g. `transport closed; consumer billing.orders closing`. */
  message?: string;
}

/**
 * The check's result: `{ [key]: { status, ...details } }`, the `HealthIndicatorResult` of
 * `@nestjs/terminus` (a down one makes `HealthCheckService.check()` answer 503).
 */
export type TidingsHealthIndicatorResult<Key extends string = 'tidings'> = Record<
  Key,
  { status: HealthStatus } & TidingsHealthDetails
>;

const CHECK_OPTION_KEYS = optionKeys<TidingsHealthCheckOptions>({ maxRelayLagMs: true });
const DEFAULT_MAX_RELAY_LAG_MS = 60_000;

/** The part of `@nestjs/terminus` the indicator uses, loaded when the first check runs. */
interface Terminus {
  HealthIndicatorService: new () => {
    check(key: string): {
      up(data: object): Record<string, { status: HealthStatus }>;
      down(data: object): Record<string, { status: HealthStatus }>;
    };
  };
}

/**
 * A `@nestjs/terminus` health indicator for the module's transport, its `@Consume` consumers and, when
 * it has one, its outbox relay: down when the transport is not connected (or blocked by the broker), a
 * consumer does not consume, the relay is stopped or its outbox unreachable, or the relay's lag exceeds
 * `maxRelayLagMs`. Provided and exported by `TidingsModule`; `@nestjs/terminus` (an optional peer
 * dependency) is loaded by the first check only.
 *
 * @example
 * @Controller('health')
 * class HealthController {
 *   constructor(private health: HealthCheckService, private tidings: TidingsHealthIndicator) {}
 *   @Get() @HealthCheck()
 *   check() {
 *     return this.health.check([() => this.tidings.isHealthy('tidings', { maxRelayLagMs: 30_000 })]);
 *   }
 * }
 */
export class TidingsHealthIndicator {
  readonly #bridge: Bridge;
  readonly #relay: OutboxRelay | undefined;
  readonly #moduleRef: ModuleRef;

  /** @internal Created by `TidingsModule`; inject it. */
  constructor(bridge: Bridge, relay: OutboxRelay | undefined, moduleRef: ModuleRef) {
    this.#bridge = bridge;
    this.#relay = relay;
    this.#moduleRef = moduleRef;
  }

  /**
   * Checks the transport, the consumers and the relay; resolves to terminus's result under `key`, up or
   * down (a down result is not thrown: terminus 11's `HealthCheckService` reads its status).
   */
  async isHealthy<const Key extends string = 'tidings'>(
    key: Key = 'tidings' as Key,
    options: TidingsHealthCheckOptions = {},
  ): Promise<TidingsHealthIndicatorResult<Key>> {
    assertKnownOptions(options, CHECK_OPTION_KEYS, 'TidingsHealthIndicator.isHealthy');
    const maxLagMs = integerOption(
      options.maxRelayLagMs,
      DEFAULT_MAX_RELAY_LAG_MS,
      'TidingsHealthIndicator.isHealthy: maxRelayLagMs',
      0,
    );
    const session = this.#service().check(key);
    const { transport, consumers } = this.#bridge.health();
    const relay = await this.#relay?.health({ maxLagMs });
    const details: TidingsHealthDetails = { transport, consumers, ...(relay ? { relay } : {}) };
    const problems = [
      ...(transport.status === 'down'
        ? [`transport ${transport.blocked ? 'blocked' : transport.state}`]
        : []),
      ...consumers
        .filter((consumer) => consumer.status === 'down')
        .map((consumer) => `consumer ${consumer.queue} ${consumer.state}`),
      ...(relay?.status === 'down' ? [relayProblem(relay)] : []),
    ];
    const result =
      problems.length === 0
        ? session.up(details)
        : session.down({ ...details, message: problems.join('; ') });
    return result as TidingsHealthIndicatorResult<Key>;
  }

  /** terminus's `HealthIndicatorService`: the application's, when TerminusModule is imported. */
  #service(): InstanceType<Terminus['HealthIndicatorService']> {
    const terminus = requireOptional('@nestjs/terminus') as Partial<Terminus> | undefined;
    const Service = terminus?.HealthIndicatorService;
    if (typeof Service !== 'function') {
      throw new PeerDependencyMissingError('@nestjs/terminus', 'TidingsHealthIndicator');
    }
    try {
      return this.#moduleRef.get(Service, { strict: false });
    } catch {
      return new Service(); // stateless: one of our own is as good, when TerminusModule is not imported
    }
  }
}

function relayProblem(relay: OutboxRelayHealth): string {
  if (relay.reason === 'lagging') return `outbox relay lagging ${relay.lagMs} ms (over ${relay.maxLagMs} ms)`;
  if (relay.reason === 'outbox-unavailable') return `outbox unavailable: ${relay.lastError?.message}`;
  return 'outbox relay stopped';
}
