// The AMQP URI query parameters (issue 10, point 3): heartbeat, frame_max, channel_max and
// connection_timeout are honoured, win over the transport's options for their URL, and a malformed,
// unknown or repeated one is refused with an InvalidArgumentError that names it and shows no password.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/index.js';
import { AmqpTransport } from '../../src/rabbitmq.js';
import { connectArguments, parseAmqpUrl } from '../../src/adapters/rabbitmq/amqp-url.js';
import { transportSettings } from '../../src/adapters/rabbitmq/amqp-transport-options.js';

const SOCKET = { timeout: 10_000, noDelay: true };

describe('AMQP URL query parameters', () => {
  it('are read into what amqplib is given', () => {
    const url =
      'amqp://app:s3cret@broker:5673/vh?heartbeat=7&frame_max=8192&channel_max=64&connection_timeout=2500';
    const [target, socket] = connectArguments(url, 5, SOCKET);
    expect(target).toEqual({
      protocol: 'amqp',
      hostname: 'broker',
      port: 5673,
      username: 'app',
      password: 's3cret',
      vhost: 'vh',
      heartbeat: 7,
      frameMax: 8192,
      channelMax: 64,
    });
    expect(socket).toEqual({ timeout: 2500, noDelay: true });
  });

  it('win over the options for their URL only; the options apply where the URL says nothing', () => {
    expect(parseAmqpUrl('amqp://broker?heartbeat=0', 5).heartbeat).toBe(0);
    expect(parseAmqpUrl('amqp://broker?heartbeat=60', 0).heartbeat).toBe(60);
    expect(parseAmqpUrl('amqp://broker', 12).heartbeat).toBe(12);
    const [target, socket] = connectArguments('amqp://broker/', 12, SOCKET);
    expect(target).not.toHaveProperty('frameMax');
    expect(target).not.toHaveProperty('channelMax');
    expect(socket).toEqual(SOCKET);
    // The socket options given are not changed for the other URLs.
    connectArguments('amqp://broker?connection_timeout=1', 5, SOCKET);
    expect(SOCKET.timeout).toBe(10_000);
  });

  it('the defaults: heartbeat 5 s, TCP_NODELAY on, connect timeout 10 s', () => {
    const settings = transportSettings({});
    expect(settings.heartbeatSeconds).toBe(5);
    expect(settings.socketOptions).toMatchObject({ noDelay: true, timeout: 10_000 });
    expect(transportSettings({ noDelay: false, heartbeatSeconds: 30 })).toMatchObject({
      heartbeatSeconds: 30,
      socketOptions: { noDelay: false },
    });
  });

  const refused: [string, RegExp][] = [
    ['heartbeat=abc', /heartbeat must be an integer of seconds from 0 to 65535, got "abc"/],
    ['heartbeat=-1', /heartbeat must be .*, got "-1"/],
    ['heartbeat=1.5', /heartbeat must be .*, got "1.5"/],
    ['heartbeat=65536', /heartbeat must be .*, got "65536"/],
    ['heartbeat=', /heartbeat must be .*, got ""/],
    ['channel_max=70000', /channel_max must be an integer from 0 to 65535, got "70000"/],
    ['frame_max=4095', /frame_max must be 0 or an integer from 4096 to 4294967295, got "4095"/],
    ['connection_timeout=0', /connection_timeout must be an integer of milliseconds from 1 to 2147483647/],
    ['connection_timeout=5s', /connection_timeout must be .*, got "5s"/],
    ['heartbeat=5&heartbeat=10', /query parameter heartbeat is given twice/],
    ['heartbeats=5', /unknown query parameter "heartbeats" \(tidings honours heartbeat, frame_max/],
    [
      'cacertfile=/etc/ca.pem',
      /unknown query parameter "cacertfile" .*TLS files and settings go in the tls option/,
    ],
    ['heartbeat=s3cret', /heartbeat must be .*, got "\*\*\*"/],
    ['s3cret=1', /unknown query parameter "\*\*\*"/],
  ];

  it.each(refused)('?%s is refused, naming the parameter, never the password', (query, message) => {
    let caught: unknown;
    try {
      new AmqpTransport({ url: ['amqp://127.0.0.1', `amqp://app:s3cret@broker/vh?${query}`] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).toContain('amqp://app:***@broker/vh?');
    expect((caught as Error).message).not.toContain('s3cret');
  });

  it('noDelay must be a boolean', () => {
    expect(() => new AmqpTransport({ noDelay: 'yes' as never })).toThrow(
      /AmqpTransport: noDelay must be a boolean, got "yes"/,
    );
  });
});
