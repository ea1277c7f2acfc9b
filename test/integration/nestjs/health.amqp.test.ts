// TidingsHealthIndicator in a Nest application on the real servers: RabbitMQ for the transport and a
// @Consume consumer, a PostgreSQL outbox for the relay. Up, down when the relay lags (the broker
// refuses its rows), down once the transport is closed.
import { randomUUID } from 'node:crypto';
import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboxRelay } from '../../../src/index.js';
import { Consume, TidingsHealthIndicator, TidingsModule } from '../../../src/nestjs.js';
import { PgOutbox, PgUnitOfWork } from '../../../src/postgres.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { deleteDeclared, subscriberNames } from '../../helpers/declared-names.js';
import { Cleanups } from '../faults/fault-helpers.js';
import { createPool, dropOutbox, message, uniqueName, waitFor } from '../outbox/pg-helpers.js';
import { AMQP_URL } from '../servers.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

/** Unique names (`t` + 8 hex digits, a pattern test/setup/leftovers.ts knows). */
const prefix = `t${randomUUID().slice(0, 8)}`;
const appId = `${prefix}-app`;

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly tidings: TidingsHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.tidings.isHealthy('tidings', { maxRelayLagMs: 200 })]);
  }
}

class Billing {
  @Consume({ queue: `${prefix}.billing`, bindingKeys: [`${prefix}.placed`] })
  bill(): void {}
}

async function probe(module: TestingModule): Promise<{ status: string; details: Record<string, any> }> {
  try {
    return (await module.get(HealthController).check()) as never;
  } catch (error) {
    if (!(error instanceof ServiceUnavailableException)) throw error;
    return error.getResponse() as never;
  }
}

describe('TidingsHealthIndicator on RabbitMQ and PostgreSQL', () => {
  it('is up, down while the relay lags over the threshold, down once the transport is closed', async () => {
    const pool = createPool({ max: 4 });
    const table = uniqueName('tidings_nest_health');
    cleanups.add(() => pool.end());
    cleanups.add(() => dropOutbox(pool, table));
    const outbox = new PgOutbox({ pool, table, notifyChannel: table });
    await outbox.ensureSchema();
    const transport = new AmqpTransport({ url: AMQP_URL });
    cleanups.add(async () => {
      // The test closes its transport: another one deletes what the consumer declared.
      const cleaner = new AmqpTransport({ url: AMQP_URL });
      const names = subscriberNames({ queue: `${prefix}.billing`, bindingKeys: [`${prefix}.placed`], appId });
      const failed = await deleteDeclared(cleaner, names);
      await cleaner.close();
      expect(failed).toEqual([]);
    });
    cleanups.add(() => transport.close());
    const relay = new OutboxRelay({
      outbox,
      transport,
      pollIntervalMs: 20,
      retry: { initialDelayMs: 60_000 },
    });
    const module = await Test.createTestingModule({
      imports: [
        TerminusModule,
        TidingsModule.forRoot({ transport, appId, outbox, relay, closeTransport: false }),
      ],
      controllers: [HealthController],
      providers: [Billing],
    })
      .setLogger({ log() {}, warn() {}, error() {} })
      .compile();
    cleanups.add(() => module.close());
    await module.init();

    const up = await probe(module);
    expect(up.status).toBe('ok');
    expect(up.details['tidings']).toMatchObject({
      status: 'up',
      transport: { state: 'open', connected: true },
      consumers: [{ queue: `${prefix}.billing`, state: 'consuming' }],
      relay: { status: 'up', running: true, pending: 0, lagMs: 0 },
    });

    // A row for an exchange that does not exist: the broker cannot route it, it waits for its retry.
    await new PgUnitOfWork({ pool }).transaction((client) =>
      outbox.add(
        [message({ exchange: `${prefix}-missing`, routingKey: `${prefix}-missing.placed` })],
        client,
      ),
    );
    relay.nudge();
    await waitFor(async () => (await outbox.stats()).failing === 1, 10_000, 'the failed publish');
    await waitFor(async () => (await probe(module)).status === 'error', 10_000, 'the lag over 200 ms');
    const lagging = (await probe(module)).details['tidings'];
    expect(lagging).toMatchObject({
      status: 'down',
      relay: { reason: 'lagging', pending: 1, maxLagMs: 200 },
    });
    expect(lagging.relay.lagMs).toBeGreaterThan(200);
    expect(lagging.message).toMatch(/^outbox relay lagging \d+ ms \(over 200 ms\)$/);
    await pool.query(`DELETE FROM ${table}`);
    expect((await probe(module)).status).toBe('ok');

    await transport.close();
    const down = await probe(module);
    expect(down.status).toBe('error');
    expect(down.details['tidings']).toMatchObject({ status: 'down', transport: { state: 'closed' } });
    expect(down.details['tidings'].message).toContain('transport closed');
  });
});
