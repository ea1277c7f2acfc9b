// The wire-identity scenarios against the real servers: PgOutbox + PgUnitOfWork, and MemoryOutbox, each
// relayed by an AmqpTransport to RabbitMQ.
import { afterAll, beforeAll } from 'vitest';
import { InMemoryUnitOfWork, MemoryOutbox } from '../../../src/index.js';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { PgOutbox, PgUnitOfWork } from '../../../src/postgres.js';
import { wireIdentityScenarios } from '../../outbox/wire-identity-scenarios.js';
import { AMQP_URL } from '../servers.js';
import { createPool, dropOutbox, uniqueName } from './pg-helpers.js';

const pool = createPool();
const table = uniqueName();
const transport = new AmqpTransport({ url: AMQP_URL });
const outbox = new PgOutbox({ pool, table, notifyChannel: table });
/** An AMQP int64 beyond 2^53, which only a bigint holds exactly. */
const extraHeaders = { 'x-big': { '!': 'int64', value: 2n ** 62n + 1n } };

beforeAll(() => outbox.ensureSchema());

afterAll(async () => {
  await transport.close();
  await dropOutbox(pool, table);
  await pool.end();
});

wireIdentityScenarios('PgOutbox + RabbitMQ', () =>
  Promise.resolve({ transport, unitOfWork: new PgUnitOfWork({ pool }), outbox, extraHeaders }),
);

// The embedded outbox in front of a real broker: a structured clone of the headers turned Buffers into
// plain Uint8Arrays, which amqplib writes as tables of numbers.
wireIdentityScenarios('MemoryOutbox + RabbitMQ', () =>
  Promise.resolve({
    transport,
    unitOfWork: new InMemoryUnitOfWork(),
    outbox: new MemoryOutbox(),
    extraHeaders,
  }),
);
