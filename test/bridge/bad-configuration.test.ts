// Bad configuration of the bridge's components: each mistake is refused when the component is built,
// with a typed error whose stable code says what kind of mistake it is and whose message names the
// option and the value given — and never shows a password.
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  AmqpTransport,
  Bridge,
  BrokerNotConfiguredError,
  createTransport,
  DeadLetters,
  EventDispatcher,
  InvalidArgumentError,
  InvalidRoutingKeyError,
  MemoryBroker,
  MemoryOutbox,
  MemoryRepeatCounter,
  MemoryTransport,
  OutboxRelay,
  Publisher,
  Subscriber,
  type StandardSchemaV1,
} from '../../src/index.js';

const transport = new MemoryTransport({ broker: new MemoryBroker() });
const dispatcher = new EventDispatcher();
afterAll(() => transport.close());

class OrderPlaced {
  constructor(readonly orderId: string) {}
}
const validator: StandardSchemaV1 = {
  '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) },
};

const subscriber = (options: object) =>
  new Subscriber(transport, { queue: 'billing.orders', routes: ['order.placed'], ...options });
const amqp = (options: object) => new AmqpTransport(options);
const consume = (options: object) =>
  new Bridge({ dispatcher, transport }).consume({
    queue: 'billing.orders',
    bind: ['order.placed'],
    handler: () => {},
    ...options,
  });
const relay = (options: object) => new OutboxRelay({ outbox: new MemoryOutbox(), transport, ...options });

const ARGUMENT = 'ERR_TIDINGS_INVALID_ARGUMENT';
const ROUTING_KEY = 'ERR_TIDINGS_INVALID_ROUTING_KEY';

/** [what, build it, the code, what the message must say] */
const cases: [string, () => unknown, string, RegExp][] = [
  // Unknown option keys: named, with the known ones listed.
  [
    'Subscriber: misspelt prefetch',
    () => subscriber({ prefech: 10 }),
    ARGUMENT,
    /Subscriber: unknown option "prefech" \(known options: queue, routes, prefetch/,
  ],
  [
    'AmqpTransport: unknown key',
    () => amqp({ heartbeat: 5 }),
    ARGUMENT,
    /AmqpTransport: unknown option "heartbeat"/,
  ],
  [
    'AmqpTransport: unknown tls key',
    () => amqp({ tls: { cacert: 'x' } }),
    ARGUMENT,
    /AmqpTransport: tls: unknown option "cacert"/,
  ],
  [
    'AmqpTransport: unknown reconnect key',
    () => amqp({ reconnect: { initialDelay: 5 } }),
    ARGUMENT,
    /AmqpTransport: reconnect: unknown option "initialDelay"/,
  ],
  [
    'Bridge: unknown key',
    () => new Bridge({ dispatcher, transport, appID: 'x' } as never),
    ARGUMENT,
    /Bridge: unknown option "appID"/,
  ],
  [
    'Bridge.consume: unknown key',
    () => consume({ prefech: 1 }),
    ARGUMENT,
    /Subscriber: unknown option "prefech"/,
  ],
  [
    'Bridge.forward: unknown key',
    () =>
      new Bridge({ dispatcher, transport }).forward(OrderPlaced, {
        routingKey: 'order.placed',
        priorty: 1,
      } as never),
    ARGUMENT,
    /unknown option "priorty"/,
  ],
  [
    'OutboxRelay: unknown key',
    () => relay({ batchsize: 10 }),
    ARGUMENT,
    /OutboxRelay: unknown option "batchsize"/,
  ],
  [
    'OutboxRelay: unknown retry key',
    () => relay({ retry: { max: 1 } }),
    ARGUMENT,
    /OutboxRelay: retry: unknown option "max"/,
  ],
  [
    'Publisher: unknown key',
    () => new Publisher(transport, { appid: 'x' } as never),
    ARGUMENT,
    /Publisher: unknown option "appid"/,
  ],
  [
    'createTransport: unknown key',
    () => createTransport({ brokr: 'memory' } as never),
    ARGUMENT,
    /createTransport: unknown option "brokr"/,
  ],
  [
    'DeadLetters: unknown key',
    () => new DeadLetters(transport, { appid: 'x' } as never),
    ARGUMENT,
    /DeadLetters: unknown option "appid"/,
  ],
  [
    'Subscriber: unknown deadLetter key',
    () => subscriber({ deadLetter: { exchnage: 'x' } }),
    ARGUMENT,
    /Subscriber: deadLetter: unknown option "exchnage"/,
  ],
  [
    'Bridge: unknown deadLetter key',
    () => new Bridge({ dispatcher, transport, deadLetter: { queues: 'x' } as never }),
    ARGUMENT,
    /Bridge: deadLetter: unknown option "queues"/,
  ],

  // Counts and sizes: negative, zero, NaN, fractions, strings, out of range.
  [
    'Subscriber: negative prefetch',
    () => subscriber({ prefetch: -1 }),
    ARGUMENT,
    /Subscriber: prefetch must be an integer from 1 to 65535, got number -1/,
  ],
  [
    'Subscriber: zero prefetch',
    () => subscriber({ prefetch: 0 }),
    ARGUMENT,
    /Subscriber: prefetch must be .*, got number 0/,
  ],
  [
    'Subscriber: NaN prefetch',
    () => subscriber({ prefetch: Number.NaN }),
    ARGUMENT,
    /Subscriber: prefetch must be .*, got number NaN/,
  ],
  [
    'Subscriber: prefetch as a string',
    () => subscriber({ prefetch: '10' }),
    ARGUMENT,
    /Subscriber: prefetch must be .*, got "10"/,
  ],
  [
    'Subscriber: prefetch above 16 bits',
    () => subscriber({ prefetch: 70_000 }),
    ARGUMENT,
    /Subscriber: prefetch must be an integer from 1 to 65535, got number 70000/,
  ],
  [
    'Subscriber: zero maxAttempts',
    () => subscriber({ maxAttempts: 0 }),
    ARGUMENT,
    /Subscriber: maxAttempts must be an integer >= 1, got number 0/,
  ],
  [
    'Subscriber: negative maxAttempts',
    () => subscriber({ maxAttempts: -3 }),
    ARGUMENT,
    /Subscriber: maxAttempts must be .*, got number -3/,
  ],
  [
    'Subscriber: NaN maxAttempts',
    () => subscriber({ maxAttempts: Number.NaN }),
    ARGUMENT,
    /Subscriber: maxAttempts must be .*, got number NaN/,
  ],
  [
    'Subscriber: fractional maxAttempts',
    () => subscriber({ maxAttempts: 2.5 }),
    ARGUMENT,
    /Subscriber: maxAttempts must be .*, got number 2.5/,
  ],
  [
    'Subscriber: negative repeat delay',
    () => subscriber({ repeatDelaysMs: [1000, -1] }),
    ARGUMENT,
    /Subscriber: repeatDelaysMs\[1\] must be an integer >= 0, got number -1/,
  ],
  [
    'Subscriber: repeat delays not a list',
    () => subscriber({ repeatDelaysMs: 1000 }),
    ARGUMENT,
    /Subscriber: repeatDelaysMs must be a list of integers, got number 1000/,
  ],
  [
    'Subscriber: zero counter timeout',
    () => subscriber({ repeatCounterTimeoutMs: 0 }),
    ARGUMENT,
    /Subscriber: repeatCounterTimeoutMs must be an integer >= 1, got number 0/,
  ],
  [
    'Subscriber: infinite counter timeout',
    () => subscriber({ repeatCounterTimeoutMs: Infinity }),
    ARGUMENT,
    /Subscriber: repeatCounterTimeoutMs must be .*, got number Infinity/,
  ],
  [
    'Subscriber: negative message TTL',
    () => subscriber({ messageTtlMs: -5 }),
    ARGUMENT,
    /Subscriber: messageTtlMs must be an integer >= 0, got number -5/,
  ],
  [
    'Subscriber: zero maxContentBytes',
    () => subscriber({ maxContentBytes: 0 }),
    ARGUMENT,
    /Subscriber: maxContentBytes must be an integer >= 1, got number 0/,
  ],
  [
    'AmqpTransport: zero publish timeout',
    () => amqp({ publishTimeoutMs: 0 }),
    ARGUMENT,
    /AmqpTransport: publishTimeoutMs must be an integer >= 1, got number 0/,
  ],
  [
    'AmqpTransport: NaN publish timeout',
    () => amqp({ publishTimeoutMs: Number.NaN }),
    ARGUMENT,
    /AmqpTransport: publishTimeoutMs must be .*, got number NaN/,
  ],
  [
    'AmqpTransport: negative connect timeout',
    () => amqp({ connectTimeoutMs: -1 }),
    ARGUMENT,
    /AmqpTransport: connectTimeoutMs must be .*, got number -1/,
  ],
  [
    'AmqpTransport: negative close timeout',
    () => amqp({ closeTimeoutMs: -1 }),
    ARGUMENT,
    /AmqpTransport: closeTimeoutMs must be an integer >= 0, got number -1/,
  ],
  [
    'AmqpTransport: negative heartbeat',
    () => amqp({ heartbeatSeconds: -1 }),
    ARGUMENT,
    /AmqpTransport: heartbeatSeconds must be an integer from 0 to 65535, got number -1/,
  ],
  [
    'AmqpTransport: zero window',
    () => amqp({ maxUnconfirmed: 0 }),
    ARGUMENT,
    /AmqpTransport: maxUnconfirmed must be an integer >= 1, got number 0/,
  ],
  [
    'AmqpTransport: NaN backoff factor',
    () => amqp({ reconnect: { factor: Number.NaN } }),
    ARGUMENT,
    /AmqpTransport: reconnect.factor must be a number >= 1/,
  ],
  [
    'AmqpTransport: connectionName not a string',
    () => amqp({ connectionName: 5 }),
    ARGUMENT,
    /AmqpTransport: connectionName must be a string, got number 5/,
  ],
  [
    'OutboxRelay: zero batch',
    () => relay({ batchSize: 0 }),
    ARGUMENT,
    /OutboxRelay: batchSize must be an integer >= 1, got number 0/,
  ],
  [
    'OutboxRelay: negative lease',
    () => relay({ leaseMs: -1 }),
    ARGUMENT,
    /OutboxRelay: leaseMs must be .*, got number -1/,
  ],
  [
    'OutboxRelay: NaN poll interval',
    () => relay({ pollIntervalMs: Number.NaN }),
    ARGUMENT,
    /OutboxRelay: pollIntervalMs must be .*, got number NaN/,
  ],
  [
    'OutboxRelay: empty owner',
    () => relay({ owner: '' }),
    ARGUMENT,
    /OutboxRelay: owner must be a non-empty string, got ""/,
  ],
  [
    'MemoryRepeatCounter: zero TTL',
    () => new MemoryRepeatCounter({ ttlMs: 0 }),
    ARGUMENT,
    /MemoryRepeatCounter: ttlMs must be an integer >= 1, got number 0/,
  ],

  // Other wrong values.
  [
    'Subscriber: unknown queue type',
    () => subscriber({ queueType: 'lazy' }),
    ARGUMENT,
    /Subscriber: queueType must be "classic" or "quorum", got "lazy"/,
  ],
  [
    'Subscriber: dead-letter exchange not a string',
    () => subscriber({ deadLetter: { exchange: 5 } }),
    ARGUMENT,
    /Subscriber: deadLetter.exchange must be a non-empty string, got number 5/,
  ],
  [
    'Subscriber: not a repeat counter',
    () => subscriber({ repeatCounter: {} }),
    ARGUMENT,
    /Subscriber: repeatCounter must have increment\(\), forget\(\) and close\(\)/,
  ],
  [
    'Subscriber: empty appId',
    () => subscriber({ appId: '' }),
    ARGUMENT,
    /appId must be a non-empty string, got ""/,
  ],
  [
    'Bridge: empty appId',
    () => new Bridge({ dispatcher, transport, appId: '' }),
    ARGUMENT,
    /appId must be a non-empty string, got ""/,
  ],
  [
    'Bridge: not a transport',
    () => new Bridge({ dispatcher, transport: {} as never }),
    ARGUMENT,
    /Bridge: "transport" must be a Transport/,
  ],
  [
    'Bridge: not a repeat counter',
    () => new Bridge({ dispatcher, transport, repeatCounter: {} as never }),
    ARGUMENT,
    /Bridge: "repeatCounter" must be a RepeatCounter/,
  ],
  [
    'Bridge.consume: an event that is not a class',
    () => consume({ handler: undefined, events: { 'order.placed': 5 } }),
    ARGUMENT,
    /events\["order.placed"\] must be an event class, got number 5/,
  ],
  [
    'Bridge.consume: a schema that is not a validator',
    () => consume({ schema: 5 }),
    ARGUMENT,
    /"schema" must be a Standard Schema validator or one per event name, got number 5/,
  ],
  [
    'Bridge.consume: a schema entry that is not a validator',
    () => consume({ schema: { 'order.placed': { validate: () => true } } }),
    ARGUMENT,
    /schema\["order.placed"\] must be a Standard Schema validator, got an instance of Object/,
  ],
  [
    'Bridge.consume: a schema for no event',
    () =>
      consume({
        handler: undefined,
        events: { 'order.placed': OrderPlaced },
        schema: { 'order.plcaed': validator },
      }),
    ARGUMENT,
    /schema\["order.plcaed"\] names no event of "events" \(order.placed\)/,
  ],
  [
    'Publisher: appId not a string',
    () => new Publisher(transport, { appId: 5 as never }),
    ARGUMENT,
    /Publisher: appId must be a non-empty string, got number 5/,
  ],

  // One-part routing keys, wherever a routing key is configured.
  [
    'Subscriber: one-part route',
    () => subscriber({ routes: ['orders'] }),
    ROUTING_KEY,
    /Invalid routing key "orders": it needs at least two dot-separated parts, e.g. "order.created"/,
  ],
  [
    'Bridge.consume: one-part binding',
    () => consume({ bind: ['orders'] }),
    ROUTING_KEY,
    /Invalid routing key "orders": it needs at least two/,
  ],
  [
    'Bridge.forward: one-part routing key',
    () => new Bridge({ dispatcher, transport }).forward(OrderPlaced, { routingKey: 'orders' }),
    ROUTING_KEY,
    /Invalid routing key "orders"/,
  ],
  [
    'Subscriber: empty part',
    () => subscriber({ routes: ['order..placed'] }),
    ROUTING_KEY,
    /Invalid routing key "order..placed": it has an empty part/,
  ],
];

describe('bad configuration', () => {
  it.each(cases)('%s', (_what, build, code, message) => {
    let caught: unknown;
    try {
      build();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect(caught).toMatchObject({ code });
    if (code === ROUTING_KEY) expect(caught).toBeInstanceOf(InvalidRoutingKeyError);
    expect((caught as Error).message).toMatch(message);
  });

  it('each mistake is caught before anything is sent to a broker or settled', async () => {
    // Publisher.send checks its options before it declares or publishes anything.
    const publisher = new Publisher(transport);
    for (const [options, message] of [
      [{ expirationMs: -1 }, /send: expirationMs must be an integer >= 0, got number -1/],
      [{ expirationMs: Number.NaN }, /send: expirationMs must be .*, got number NaN/],
      [{ timeoutMs: 0 }, /send: timeoutMs must be an integer >= 1, got number 0/],
    ] as const) {
      await expect(publisher.send({ a: 1 }, 'order.placed', options)).rejects.toThrow(message);
    }
    await expect(publisher.send({ a: 1 }, 'orders')).rejects.toBeInstanceOf(InvalidRoutingKeyError);
    expect(await transport.queueStats('billing.orders')).toBeUndefined(); // nothing was ever declared
  });
});

describe('malformed AMQP URLs', () => {
  const password = 'hunter2-s3cret';
  /** [URL, what the message must say] — the password must never appear. */
  const urls: [string, RegExp][] = [
    [`amqp://user:${password}@`, /Malformed AMQP URL amqp:\/\/user:\*\*\*@|has no host/],
    [
      `http://user:${password}@broker`,
      /AMQP URL http:\/\/user:\*\*\*@broker must start with amqp:\/\/ or amqps:\/\//,
    ],
    // No scheme: the URL parser reads "user:" as the scheme and the password as a path.
    [`user:${password}@broker:5672`, /AMQP URL user:\*\*\*@broker:5672 must start with amqp:\/\//],
    [`amqp:${password}@broker`, /AMQP URL amqp:\*\*\*@broker has no host/],
    // A "/" in the password ends the authority: the parser sees a host "user" and a bad port.
    [`amqp://user:${password}/x@broker`, /Malformed AMQP URL amqp:\/\/user:\*\*\*@broker/],
    [`amqp://user:${password}#x@broker`, /amqp:\/\/user:\*\*\*@broker/],
    [`amqp://user:${password}@broker:99999`, /Malformed AMQP URL amqp:\/\/user:\*\*\*@broker:99999/],
    [`amqp://user:${password}@bro ker`, /Malformed AMQP URL amqp:\/\/user:\*\*\*@bro ker/],
    [
      `amqp://user:${password}%ZZ@broker`,
      /AMQP URL amqp:\/\/user:\*\*\*@broker has a malformed %-escape in its password/,
    ],
    [
      `amqp://user:${password}@broker/%ZZ`,
      /AMQP URL amqp:\/\/user:\*\*\*@broker\/%ZZ has a malformed %-escape in its vhost/,
    ],
    [
      `amqp://user:${password}@broker?frame_max=abc`,
      /frame_max must be 0 or an integer from 4096 to 4294967295, got "abc"/,
    ],
    [`amqp://user:${password}@broker?frame_max=100`, /frame_max must be .*, got "100"/],
    ['', /Malformed AMQP URL/],
  ];

  it.each(urls)('%s', (url, message) => {
    let caught: unknown;
    try {
      new AmqpTransport({ url: ['amqp://guest:guest@127.0.0.1', url] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect(caught).toMatchObject({ code: ARGUMENT });
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain('s3cret');
    expect(String((caught as Error).stack)).not.toContain('s3cret');
  });

  it('through createTransport and the environment too', () => {
    expect(() =>
      createTransport({}, { MESSAGE_BROKER: 'rabbitmq', AMQP_URL: `amqp://u:${password}/@h` }),
    ).toThrow(/^Malformed AMQP URL amqp:\/\/u:\*\*\*@h$/);
  });
});

describe('a broker left unconfigured', () => {
  /** The process environment of a service, with none of the broker settings a CI machine may have. */
  function environment(values: Record<string, string>): void {
    for (const name of ['NODE_ENV', 'MESSAGE_BROKER', 'AMQP_URL']) vi.stubEnv(name, values[name]);
  }
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('in production, new Bridge() without a transport refuses to start on the in-memory one', () => {
    environment({ NODE_ENV: 'production' });
    let caught: unknown;
    try {
      new Bridge({ dispatcher });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BrokerNotConfiguredError);
    expect(caught).toMatchObject({ code: 'ERR_TIDINGS_BROKER_NOT_CONFIGURED' });
    expect((caught as Error).message).toMatch(
      /Set AMQP_URL=amqp:\/\/.*createTransport\(\{ broker: 'memory' \}\)/,
    );
    // A transport given, even the in-memory one, is a choice.
    expect(new Bridge({ dispatcher, transport }).transport).toBe(transport);
  });

  it('AMQP_URL alone gives new Bridge() RabbitMQ; MESSAGE_BROKER=memory keeps it in memory', async () => {
    environment({ NODE_ENV: 'production', AMQP_URL: 'amqp://u:p@127.0.0.1:1' });
    const onRabbit = new Bridge({ dispatcher });
    expect(onRabbit.transport).toBeInstanceOf(AmqpTransport);
    await onRabbit.close(); // never connected: nothing to reach
    environment({ NODE_ENV: 'production', AMQP_URL: 'amqp://u:p@127.0.0.1:1', MESSAGE_BROKER: 'memory' });
    const inMemory = new Bridge({ dispatcher });
    expect(inMemory.transport).toBeInstanceOf(MemoryTransport);
    await inMemory.close();
  });

  it('outside production, nothing set still means the in-memory transport', async () => {
    environment({ NODE_ENV: 'test' });
    const bridge = new Bridge({ dispatcher });
    expect(bridge.transport).toBeInstanceOf(MemoryTransport);
    await bridge.close();
  });
});
