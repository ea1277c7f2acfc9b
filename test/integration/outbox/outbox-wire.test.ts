// The wire-identity scenarios on PostgreSQL and RabbitMQ: PgOutbox, PgUnitOfWork, AmqpTransport.
import { afterAll, beforeAll } from 'vitest';
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { PgOutbox, PgUnitOfWork } from '../../../src/postgres.js';
import { wireIdentityScenarios } from '../../outbox/wire-identity-scenarios.js';
import { AMQP_URL } from '../servers.js';
import { createPool, dropOutbox, uniqueName } from './pg-helpers.js';

const pool = createPool();
const table = uniqueName();
const transport = new AmqpTransport({ url: AMQP_URL });
const outbox = new PgOutbox({ pool, table, notifyChannel: table });

beforeAll(() => outbox.ensureSchema());

afterAll(async () => {
  await transport.close();
  await dropOutbox(pool, table);
  await pool.end();
});

wireIdentityScenarios('PgOutbox + RabbitMQ', () =>
  Promise.resolve({ transport, unitOfWork: new PgUnitOfWork(pool), outbox }),
);
