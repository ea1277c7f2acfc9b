// What a failed connection attempt says, from the errors amqplib 2 and the socket really produce (the
// texts below are copied from them): no broker needed. test/integration/connection-errors.amqp.test.ts
// checks the same against RabbitMQ.
import { describe, expect, it } from 'vitest';
import { connectionFailure, isUnrecoverable } from '../../src/adapters/rabbitmq/connection-failure.js';
import { ConnectionFailedError } from '../../src/index.js';

const PASSWORD = 'pa55-w0rd';
const URL = `amqp://app:${PASSWORD}@broker:5672/orders`;

function socketError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, syscall: 'connect' });
}

describe('connectionFailure()', () => {
  it('an unknown or forbidden vhost: 530, named with the user, not retried', () => {
    const failure = connectionFailure(
      new Error('Expected ConnectionOpenOk; got <ConnectionClose channel:0>'),
      URL,
      [PASSWORD],
    );
    expect(failure).toBeInstanceOf(ConnectionFailedError);
    expect(failure.message).toBe(
      'Cannot connect to amqp://app:***@broker:5672/orders: vhost "orders" not found or not permitted ' +
        'for user "app" (AMQP 530 NOT_ALLOWED)',
    );
    expect(failure).toMatchObject({ amqpCode: 530, url: 'amqp://app:***@broker:5672/orders', attempts: 1 });
    expect(isUnrecoverable(failure)).toBe(true);
  });

  it('the default vhost is named "/", decoded vhosts as the broker sees them', () => {
    const closed = new Error('Expected ConnectionOpenOk; got <ConnectionClose channel:0>');
    expect(connectionFailure(closed, 'amqp://app:x@broker', []).message).toContain('vhost "/" not found');
    expect(connectionFailure(closed, 'amqp://app:x@broker/%2Fshop', []).message).toContain(
      'vhost "/shop" not found',
    );
  });

  it('refused credentials: 403, names the user, never the password', () => {
    const failure = connectionFailure(
      new Error(
        'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was ' +
          'refused using authentication mechanism PLAIN. For details see the broker logfile."',
      ),
      URL,
      [PASSWORD],
    );
    expect(failure.message).toBe(
      'Cannot connect to amqp://app:***@broker:5672/orders: login refused for user "app": wrong user ' +
        'name or password, or the user may not connect from this host (AMQP 403 ACCESS_REFUSED)',
    );
    expect(failure.amqpCode).toBe(403);
    expect(isUnrecoverable(failure)).toBe(true);
    expect(JSON.stringify(failure)).not.toContain(PASSWORD);
  });

  it('another refusal during the handshake keeps the broker text and code once', () => {
    const failure = connectionFailure(
      new Error(
        'Handshake terminated by server: 320 (CONNECTION-FORCED) with message "CONNECTION_FORCED - ' +
          "broker forced connection closure with reason 'shutdown'\"",
      ),
      URL,
      [PASSWORD],
    );
    expect(failure.message).toMatch(
      /: the broker refused the connection: broker forced connection closure with reason 'shutdown' \(AMQP 320 CONNECTION_FORCED\)$/,
    );
    expect(failure.amqpCode).toBe(320);
    expect(isUnrecoverable(failure)).toBe(false);
  });

  it('exhausted retries say how many attempts over how long', () => {
    const failure = connectionFailure(
      socketError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5672'),
      URL,
      [PASSWORD],
      { attempts: 8, elapsedMs: 24_810 },
    );
    expect(failure.message).toBe(
      'Cannot connect to amqp://app:***@broker:5672/orders: connection refused (ECONNREFUSED) after 8 ' +
        'attempts over 24.8 s',
    );
    expect(failure).toMatchObject({ attempts: 8, elapsedMs: 24_810, amqpCode: undefined });
    expect(failure.cause).toMatchObject({ code: 'ECONNREFUSED' });
    expect(isUnrecoverable(failure)).toBe(false);
  });

  it('names the usual network failures, and keeps any other message as it is', () => {
    const said = (error: Error): string => connectionFailure(error, URL, [PASSWORD]).message;
    expect(said(socketError('ENOTFOUND', 'getaddrinfo ENOTFOUND broker'))).toMatch(
      /: host name not found \(ENOTFOUND\)$/,
    );
    expect(said(new Error('connect ETIMEDOUT'))).toMatch(
      /: no answer within connectTimeoutMs \(ETIMEDOUT\)$/,
    );
    expect(said(new Error('Socket closed abruptly during opening handshake'))).toMatch(
      /: Socket closed abruptly during opening handshake$/,
    );
    expect(said(new Error(`weird ${PASSWORD}`))).toMatch(/: weird \*\*\*$/);
  });
});
