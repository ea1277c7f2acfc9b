// TidingsHealthIndicator in a Nest application with TerminusModule, as a health controller uses it:
// up, down once the transport is closed, down when the relay lags; the module's logger option.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InMemoryUnitOfWork,
  InvalidArgumentError,
  MemoryBroker,
  MemoryOutbox,
  MemoryTransport,
  OutboxRelay,
  encodeOutboxMessage,
} from '../../src/index.js';
import {
  Consume,
  TidingsHealthIndicator,
  TidingsModule,
  type TidingsModuleOptions,
} from '../../src/nestjs.js';
import { recordingLogger } from '../health/log-recorder.js';
import { waitFor } from './nest-fixtures.js';

const modules: TestingModule[] = [];
afterEach(async () => {
  for (const module of modules.splice(0)) await module.close();
});

const silent = { log() {}, error() {}, warn() {} };

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly tidings: TidingsHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.tidings.isHealthy('tidings', { maxRelayLagMs: 50 })]);
  }
}

class Billing {
  @Consume({ queue: 'health-nest.billing', bindingKeys: ['health-nest.placed'] })
  bill(): void {}
}

async function start(options: TidingsModuleOptions): Promise<TestingModule> {
  const module = await Test.createTestingModule({
    imports: [TerminusModule, TidingsModule.forRoot(options)],
    controllers: [HealthController],
    providers: [Billing],
  })
    .setLogger(silent)
    .compile();
  modules.push(module);
  await module.init();
  return module;
}

/** What the controller answers: terminus's body, from the 503's response when down. */
async function probe(module: TestingModule): Promise<{ status: string; details: Record<string, unknown> }> {
  try {
    return (await module.get(HealthController).check()) as never;
  } catch (error) {
    if (!(error instanceof ServiceUnavailableException)) throw error;
    return error.getResponse() as never;
  }
}

describe('TidingsHealthIndicator', () => {
  it('is up with the transport connected and the consumers consuming, down once the transport is closed', async () => {
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    const module = await start({ transport, closeTransport: false });
    const up = await probe(module);
    expect(up.status).toBe('ok');
    expect(up.details['tidings']).toMatchObject({
      status: 'up',
      transport: { status: 'up', state: 'open', url: 'memory://' },
      consumers: [{ queue: 'health-nest.billing', state: 'consuming' }],
    });
    expect(up.details['tidings']).not.toHaveProperty('relay');
    await transport.close();
    const down = await probe(module);
    expect(down.status).toBe('error');
    expect(down.details['tidings']).toMatchObject({
      status: 'down',
      transport: { state: 'closed' },
      message: 'transport closed',
    });
  });

  it('is down when the relay lags more than maxRelayLagMs, with the lag', async () => {
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    const outbox = new MemoryOutbox();
    const relay = new OutboxRelay({ outbox, transport, retry: { initialDelayMs: 60_000 } });
    const module = await start({ transport, outbox, relay });
    expect((await probe(module)).status).toBe('ok');
    // A row for an exchange nobody declared: unroutable, it waits for its retry and ages.
    await new InMemoryUnitOfWork().transaction((tx) =>
      outbox.add([encodeOutboxMessage({ n: 1 }, 'nowhere.placed')], tx),
    );
    relay.nudge();
    await waitFor(async () => (await outbox.stats()).oldestPendingAgeMs > 50, 2000, 'the row aging');
    const down = await probe(module);
    expect(down.status).toBe('error');
    const tidings = down.details['tidings'] as { relay: { lagMs: number }; message: string };
    expect(tidings).toMatchObject({
      status: 'down',
      relay: { status: 'down', reason: 'lagging', pending: 1, maxLagMs: 50 },
    });
    expect(tidings.relay.lagMs).toBeGreaterThan(50);
    expect(tidings.message).toMatch(/^outbox relay lagging \d+ ms \(over 50 ms\)$/);
    // Called directly, with the default threshold of 60 s.
    const direct = await module.get(TidingsHealthIndicator).isHealthy();
    expect(direct['tidings']).toMatchObject({ status: 'up', relay: { maxLagMs: 60_000 } });
    await expect(module.get(TidingsHealthIndicator).isHealthy('x', { maxRelayLagMs: -1 })).rejects.toThrow(
      InvalidArgumentError,
    );
  });
});

describe('@nestjs/terminus, an optional peer', () => {
  it('is not loaded by importing tidings/nestjs', () => {
    const script = `
      import { createRequire } from 'node:module';
      await import(${JSON.stringify(fileURLToPath(new URL('../../src/nestjs.ts', import.meta.url)))});
      const cache = createRequire(import.meta.url).cache;
      console.log(JSON.stringify(Object.keys(cache).filter((file) => file.includes('@nestjs/terminus')).length));`;
    const printed = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(printed.trim()).toBe('0');
  });

  it('works without TerminusModule in the application (its stateless service is made on the spot)', async () => {
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    const module = await Test.createTestingModule({ imports: [TidingsModule.forRoot({ transport })] })
      .setLogger(silent)
      .compile();
    modules.push(module);
    await module.init();
    const result = await module.get(TidingsHealthIndicator).isHealthy('broker');
    expect(result.broker).toMatchObject({ status: 'up', consumers: [] });
  });
});

describe("TidingsModule's logger option", () => {
  it('receives what the transport, consumers and relay report, with their codes', async () => {
    const logger = recordingLogger();
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    const outbox = new MemoryOutbox();
    const relay = new OutboxRelay({ outbox, transport, retry: { initialDelayMs: 60_000 } });
    await start({ transport, outbox, relay, logger });
    await new InMemoryUnitOfWork().transaction((tx) =>
      outbox.add([encodeOutboxMessage({ n: 1 }, 'nowhere.placed')], tx),
    );
    relay.nudge();
    await waitFor(() => logger.codes().includes('relay-publish-failed'), 2000, 'the relay warning');
    expect(logger.codes()).toEqual(['transport-connected', 'relay-publish-failed']);
    expect(logger.entries[1]!.data).toMatchObject({ component: 'OutboxRelay', attempts: 1 });
    await expect(start({ transport, logger: { log() {} } as never })).rejects.toThrow(
      /TidingsModule.forRoot: "logger" must have warn/,
    );
  });
});
