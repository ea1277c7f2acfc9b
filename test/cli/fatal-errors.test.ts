// Which failures stop `tidings outbox relay` at once (a refused login) and which it retries.
import { describe, expect, it } from 'vitest';
import { fatalReason } from '../../src/cli/fatal-errors.js';
import { ConnectionFailedError } from '../../src/errors/connection-failed-error.js';

const databaseUrl = 'postgresql://app:***@db/app';
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });
const amqpError = (amqpCode: number | undefined, certificateRejected = false) =>
  new ConnectionFailedError(
    'Cannot connect to amqp://app:***@mq: refused',
    'amqp://app:***@mq',
    amqpCode,
    certificateRejected,
  );

describe('fatalReason', () => {
  it('stops for PostgreSQL logins and databases that do not exist', () => {
    for (const code of ['28P01', '28000', '3D000']) {
      const reason = fatalReason(pgError(code, 'refused'), { databaseUrl, brokerConnected: false });
      expect(reason).toBe(
        `PostgreSQL at ${databaseUrl} refused the login: refused (SQLSTATE ${code}); check --database-url or DATABASE_URL`,
      );
    }
  });

  it('retries what may pass: refused or dropped connections, a server starting or shutting down', () => {
    for (const code of [
      'ECONNREFUSED',
      'ECONNRESET',
      '57P01',
      '57P03',
      '53300',
      '42P01',
      '08006',
      'constructor',
    ]) {
      expect(fatalReason(pgError(code, 'x'), { databaseUrl, brokerConnected: false }), code).toBeUndefined();
    }
    expect(fatalReason(new Error('no code'), { databaseUrl, brokerConnected: false })).toBeUndefined();
    expect(fatalReason('a string', { databaseUrl, brokerConnected: false })).toBeUndefined();
  });

  it('stops for RabbitMQ 403 always; for 530 and a rejected certificate before the first connection', () => {
    const before = { databaseUrl, brokerConnected: false };
    const after = { databaseUrl, brokerConnected: true };
    expect(fatalReason(amqpError(403), before)).toMatch(/refused; check the user name and password in --url/);
    expect(fatalReason(amqpError(403), after)).toBeDefined();
    expect(fatalReason(amqpError(530), before)).toMatch(/; check the virtual host in --url or AMQP_URL$/);
    expect(fatalReason(amqpError(530), after)).toBeUndefined();
    expect(fatalReason(amqpError(undefined, true), before)).toBe(
      'Cannot connect to amqp://app:***@mq: refused',
    );
    expect(fatalReason(amqpError(undefined, true), after)).toBeUndefined();
    expect(fatalReason(amqpError(undefined), before)).toBeUndefined();
    expect(fatalReason(amqpError(320), before)).toBeUndefined();
  });
});
