// The `logger` option: every warning and error a component emits reaches the logger with its stable
// code (and the error under `err`), events unchanged; a logger that throws is harmless; a bad logger is
// refused by name. On the memory transport; test/integration/health.amqp.test.ts covers RabbitMQ.
import { Console } from 'node:console';
import { PassThrough } from 'node:stream';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Bridge,
  Consumer,
  EventDispatcher,
  InMemoryUnitOfWork,
  InvalidArgumentError,
  MemoryBroker,
  MemoryOutbox,
  MemoryTransport,
  OutboxRelay,
  RepeatCounterUnavailableError,
  encodeOutboxMessage,
  type OutgoingMessage,
  type PublishOptions,
  type RepeatCounter,
} from '../../src/index.js';
import { AmqpTransport, createTransport } from '../../src/rabbitmq.js';
import { PgOutbox } from '../../src/postgres.js';
import { ComponentLog } from '../../src/messaging/logging/component-log.js';
import { waitFor } from '../nestjs/nest-fixtures.js';
import { entryText, recordingLogger } from './log-recorder.js';

const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

/** Commits one row for an exchange that does not exist: the relay's publish of it is unroutable. */
function addRow(outbox: MemoryOutbox): Promise<void> {
  return new InMemoryUnitOfWork().transaction((tx) =>
    outbox.add([encodeOutboxMessage({ n: 1 }, 'nowhere.at-all')], tx),
  );
}

function memoryTransport(logger?: ReturnType<typeof recordingLogger>): MemoryTransport {
  const transport = new MemoryTransport({ broker: new MemoryBroker(), ...(logger ? { logger } : {}) });
  closing.push(() => transport.close());
  return transport;
}

/** A repeat counter that is down: every call rejects as Redis would when unreachable. */
const downCounter: RepeatCounter = {
  increment: () =>
    Promise.reject(new RepeatCounterUnavailableError('Redis is unreachable', 'disconnected', 'increment')),
  forget: () =>
    Promise.reject(new RepeatCounterUnavailableError('Redis is unreachable', 'disconnected', 'forget')),
  close: () => Promise.resolve(),
};

describe('the logger option', () => {
  it('is refused, naming the component, when it has no warn/error functions', () => {
    const bad = { warn: () => {} };
    const transport = memoryTransport();
    const outbox = new MemoryOutbox();
    const dispatcher = new EventDispatcher();
    const attempts: [string, () => unknown][] = [
      ['MemoryTransport', () => new MemoryTransport({ logger: bad as never })],
      ['AmqpTransport', () => new AmqpTransport({ logger: 'console' as never })],
      ['createTransport', () => createTransport({ broker: 'memory', logger: bad as never })],
      ['Consumer', () => new Consumer(transport, { queue: 'q', bindingKeys: ['a.b'], logger: bad as never })],
      ['Bridge', () => new Bridge({ dispatcher, transport, logger: null as never })],
      ['OutboxRelay', () => new OutboxRelay({ outbox, transport, logger: { warn: 1, error: 2 } as never })],
      ['PgOutbox', () => new PgOutbox({ pool: new pg.Pool(), logger: bad as never })],
      ['OutboxRelay', () => new OutboxRelay({ outbox, transport, logger: { ...console, info: 3 } as never })],
    ];
    for (const [where, attempt] of attempts) {
      expect(attempt).toThrow(InvalidArgumentError);
      expect(attempt).toThrow(new RegExp(`${where}: "logger" must have warn`));
    }
  });

  it('takes console as it is, and a Console writes the entries with their code', async () => {
    const stream = new PassThrough();
    let written = '';
    stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
    const logger = new Console({ stdout: stream, stderr: stream });
    const transport = memoryTransport();
    const relay = new OutboxRelay({ outbox: new MemoryOutbox(), transport, logger, pollIntervalMs: 5 });
    expect(() => new Bridge({ dispatcher: new EventDispatcher(), transport, logger: console })).not.toThrow();
    // A row for an exchange that does not exist: unroutable, so the relay reports it failed.
    const outbox = new MemoryOutbox();
    const failing = new OutboxRelay({ outbox, transport, logger, retry: { initialDelayMs: 10_000 } });
    await addRow(outbox);
    await failing.relayOnce();
    await relay.stop();
    await waitFor(() => written.includes('relay-publish-failed'), 2000, 'the console line');
    expect(written).toContain('not published (attempt 1)');
  });
});

describe('what each component logs', () => {
  it('MemoryTransport: connecting and closing as info, a handler that failed unsettled as transport-error', async () => {
    const logger = recordingLogger();
    const transport = memoryTransport(logger);
    const errors: Error[] = [];
    transport.on('error', (error) => errors.push(error)); // events keep working
    await transport.declare({ queues: [{ name: 'q' }] });
    await transport.consume('q', () => Promise.reject(new Error('handler broke')), { prefetch: 1 });
    await transport.publish({ exchange: '', routingKey: 'q', content: Buffer.from('{}'), properties: {} });
    await waitFor(() => errors.length > 0, 2000, 'the error event');
    await transport.close();
    expect(logger.codes()).toEqual(['transport-connected', 'transport-error', 'transport-closed']);
    const error = logger.entries[1]!;
    expect(error).toMatchObject({
      level: 'error',
      data: { code: 'transport-error', component: 'MemoryTransport' },
    });
    expect(error.data['err']).toBe(errors[0]);
    expect(logger.entries[0]!.data).toMatchObject({ url: 'memory://' });
  });

  it('Consumer: its warnings with their codes and the queue, a copy it cannot publish as copy-publish-failed', async () => {
    const logger = recordingLogger();
    // The repeat's first publish fails (the broker nacked it, say): the consumer retries it, and says so.
    let failRepeats = 1;
    class FlakyTransport extends MemoryTransport {
      override publish(message: OutgoingMessage, options?: PublishOptions): Promise<void> {
        if (message.exchange === '' && failRepeats-- > 0) return Promise.reject(new Error('nacked'));
        return super.publish(message, options);
      }
    }
    const transport = new FlakyTransport({ broker: new MemoryBroker() });
    closing.push(() => transport.close());
    const consumer = new Consumer(transport, {
      queue: 'log.orders',
      bindingKeys: ['log.placed'],
      repeatCounter: downCounter,
      repeatDelaysMs: [0],
      maxAttempts: 2,
      logger,
    });
    closing.push(() => consumer.close());
    const warnings: string[] = [];
    consumer.on('warning', (warning) => warnings.push(warning.code));
    let calls = 0;
    await consumer.consume(() =>
      ++calls === 1 ? Promise.reject(new Error('first try fails')) : Promise.resolve(),
    );
    await transport.publish({
      exchange: 'log',
      routingKey: 'log.placed',
      content: Buffer.from('{}'),
      properties: { messageId: 'm-1' },
    });
    await waitFor(() => calls === 2, 5000, 'the repeat handled');
    expect(warnings).toContain('repeat-counter-unavailable');
    expect(logger.codes('warn')).toEqual(warnings);
    expect(logger.codes('error')).toEqual(['copy-publish-failed']);
    const unavailable = logger.entries.find((entry) => entry.data['code'] === 'repeat-counter-unavailable')!;
    expect(unavailable.data).toMatchObject({ component: 'Consumer', queue: 'log.orders' });
    expect(unavailable.data['err']).toBeInstanceOf(Error);
  });

  it('Bridge: gives its logger to its consumers, and logs a consumer that cannot start', async () => {
    const logger = recordingLogger();
    class NoDeclare extends MemoryTransport {
      override declare(): Promise<void> {
        return Promise.reject(new Error('declare refused'));
      }
    }
    const transport = new NoDeclare({ broker: new MemoryBroker() });
    closing.push(() => transport.close());
    const bridge = new Bridge({ dispatcher: new EventDispatcher(), transport, logger });
    const errors: Error[] = [];
    bridge.on('error', (error) => errors.push(error));
    await bridge.start();
    bridge.consume({ queue: 'late.q', bindingKeys: ['late.x'], handler: async () => {} });
    await waitFor(() => errors.length > 0, 2000, 'the start failure');
    expect(logger.entries).toHaveLength(1);
    expect(logger.entries[0]).toMatchObject({
      level: 'error',
      data: { code: 'consumer-start-failed', component: 'Bridge', queue: 'late.q', err: errors[0] },
    });
    await bridge.close();
  });

  it('OutboxRelay: relay-publish-failed as a warning, relay-error as an error', async () => {
    const logger = recordingLogger();
    const transport = memoryTransport();
    const outbox = new MemoryOutbox();
    const relay = new OutboxRelay({ outbox, transport, logger, retry: { initialDelayMs: 10_000 } });
    await addRow(outbox);
    await relay.relayOnce();
    const broken = new OutboxRelay({
      outbox: Object.assign(new MemoryOutbox(), { claim: () => Promise.reject(new Error('db down')) }),
      transport,
      logger,
      pollIntervalMs: 5,
      retry: { initialDelayMs: 5, maxDelayMs: 5 },
    });
    broken.start();
    await waitFor(() => logger.codes('error').length > 0, 2000, 'the relay error');
    await broken.stop();
    const failed = logger.entries[0]!;
    expect(failed).toMatchObject({
      level: 'warn',
      data: { code: 'relay-publish-failed', component: 'OutboxRelay', attempts: 1 },
    });
    expect(failed.data['err']).toBeInstanceOf(Error);
    expect(logger.entries.find((entry) => entry.level === 'error')).toMatchObject({
      data: { code: 'relay-error' },
      message: 'Outbox relay: db down',
    });
  });

  it('createTransport passes its logger to the transport it creates', async () => {
    const logger = recordingLogger();
    const transport = createTransport({ broker: 'memory', memory: { broker: new MemoryBroker() }, logger });
    closing.push(() => transport.close());
    await transport.connect();
    expect(logger.codes()).toEqual(['transport-connected']);
  });
});

describe('a logger that throws', () => {
  it('breaks neither the component nor its events', async () => {
    const logger = recordingLogger({ throwing: true });
    const transport = memoryTransport(logger);
    const consumer = new Consumer(transport, {
      queue: 'throwing.q',
      bindingKeys: ['throwing.x'],
      repeatCounter: downCounter,
      logger,
    });
    closing.push(() => consumer.close());
    const settled: string[] = [];
    const warnings: string[] = [];
    consumer.on('settled', (outcome) => settled.push(outcome.outcome));
    consumer.on('warning', (warning) => warnings.push(warning.code));
    await consumer.consume(async () => {});
    await transport.publish({
      exchange: 'throwing',
      routingKey: 'throwing.x',
      content: Buffer.from('{}'),
      properties: { messageId: 'm-2' },
    });
    await waitFor(() => settled.length === 1, 2000, 'the message settled');
    expect(settled).toEqual(['acked']);
    expect(warnings).toEqual(['repeat-counter-unavailable']);
    expect(logger.codes()).toEqual(['transport-connected', 'repeat-counter-unavailable']);
  });
});

describe('secrets', () => {
  it('are masked in the message and the error: a redacted copy replaces an error that holds one', () => {
    const logger = recordingLogger();
    const log = new ComponentLog(logger, 'Test', ['hunter2-secret']);
    const cause = new Error('could not reach amqp://bob:hunter2-secret@host');
    log.error('some-code', 'Failed: amqp://bob:hunter2-secret@host', { err: cause });
    const clean = new Error('nothing to hide');
    log.warn('other-code', 'Fine', { err: clean });
    expect(entryText(logger.entries[0]!)).not.toContain('hunter2-secret');
    expect(logger.entries[0]!.message).toBe('Failed: amqp://bob:***@host');
    expect((logger.entries[0]!.data['err'] as Error).message).toBe('could not reach amqp://bob:***@host');
    expect(logger.entries[1]!.data['err']).toBe(clean); // kept as it is: nothing to hide
  });
});
