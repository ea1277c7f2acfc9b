// Bad configuration of the bridge's components: each mistake is refused when the component is built,
// with a typed error whose stable code says what kind of mistake it is and whose message names the
// option and the value given — and never shows a password.
import { afterAll, describe, expect, it } from 'vitest';
import {
  Bridge,
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
  Consumer,
  type BridgeOptions,
  type StandardSchemaV1,
} from '../../src/index.js';
import { AmqpTransport, createTransport } from '../../src/rabbitmq.js';

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
  new Consumer(transport, { queue: 'billing.orders', bindingKeys: ['order.placed'], ...options });
const amqp = (options: object) => new AmqpTransport(options);
const consume = (options: object) =>
  new Bridge({ dispatcher, transport }).consume({
    queue: 'billing.orders',
    bindingKeys: ['order.placed'],
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
    'Consumer: misspelt prefetch',
    () => subscriber({ prefech: 10 }),
    ARGUMENT,
    /Consumer: unknown option "prefech" \(known options: queue, bindingKeys, prefetch/,
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
    /Consumer: unknown option "prefech"/,
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
    'Consumer: unknown deadLetter key',
    () => subscriber({ deadLetter: { exchnage: 'x' } }),
    ARGUMENT,
    /Consumer: deadLetter: unknown option "exchnage"/,
  ],
  [
    'Bridge: unknown deadLetter key',
    () => new Bridge({ dispatcher, transport, deadLetter: { queues: 'x' } as never }),
    ARGUMENT,
    /Bridge: deadLetter: unknown option "queues"/,
  ],

  // Counts and sizes: negative, zero, NaN, fractions, strings, out of range.
  [
    'Consumer: negative prefetch',
    () => subscriber({ prefetch: -1 }),
    ARGUMENT,
    /Consumer: prefetch must be an integer from 1 to 65535, got number -1/,
  ],
  [
    'Consumer: zero prefetch',
    () => subscriber({ prefetch: 0 }),
    ARGUMENT,
    /Consumer: prefetch must be .*, got number 0/,
  ],
  [
    'Consumer: NaN prefetch',
    () => subscriber({ prefetch: Number.NaN }),
    ARGUMENT,
    /Consumer: prefetch must be .*, got number NaN/,
  ],
  [
    'Consumer: prefetch as a string',
    () => subscriber({ prefetch: '10' }),
    ARGUMENT,
    /Consumer: prefetch must be .*, got "10"/,
  ],
  [
    'Consumer: prefetch above 16 bits',
    () => subscriber({ prefetch: 70_000 }),
    ARGUMENT,
    /Consumer: prefetch must be an integer from 1 to 65535, got number 70000/,
  ],
  [
    'Consumer: zero maxAttempts',
    () => subscriber({ maxAttempts: 0 }),
    ARGUMENT,
    /Consumer: maxAttempts must be an integer >= 1, got number 0/,
  ],
  [
    'Consumer: negative maxAttempts',
    () => subscriber({ maxAttempts: -3 }),
    ARGUMENT,
    /Consumer: maxAttempts must be .*, got number -3/,
  ],
  [
    'Consumer: NaN maxAttempts',
    () => subscriber({ maxAttempts: Number.NaN }),
    ARGUMENT,
    /Consumer: maxAttempts must be .*, got number NaN/,
  ],
  [
    'Consumer: fractional maxAttempts',
    () => subscriber({ maxAttempts: 2.5 }),
    ARGUMENT,
    /Consumer: maxAttempts must be .*, got number 2.5/,
  ],
  [
    'Consumer: negative repeat delay',
    () => subscriber({ repeatDelaysMs: [1000, -1] }),
    ARGUMENT,
    /Consumer: repeatDelaysMs\[1\] must be an integer >= 0, got number -1/,
  ],
  [
    'Consumer: repeat delays not a list',
    () => subscriber({ repeatDelaysMs: 1000 }),
    ARGUMENT,
    /Consumer: repeatDelaysMs must be a list of integers, got number 1000/,
  ],
  [
    'Consumer: zero counter timeout',
    () => subscriber({ repeatCounterTimeoutMs: 0 }),
    ARGUMENT,
    /Consumer: repeatCounterTimeoutMs must be an integer >= 1, got number 0/,
  ],
  [
    'Consumer: infinite counter timeout',
    () => subscriber({ repeatCounterTimeoutMs: Infinity }),
    ARGUMENT,
    /Consumer: repeatCounterTimeoutMs must be .*, got number Infinity/,
  ],
  [
    'Consumer: negative message TTL',
    () => subscriber({ messageTtlMs: -5 }),
    ARGUMENT,
    /Consumer: messageTtlMs must be an integer >= 0, got number -5/,
  ],
  [
    'Consumer: zero maxContentBytes',
    () => subscriber({ maxContentBytes: 0 }),
    ARGUMENT,
    /Consumer: maxContentBytes must be an integer >= 1, got number 0/,
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
    'Consumer: unknown queue type',
    () => subscriber({ queueType: 'lazy' }),
    ARGUMENT,
    /Consumer: queueType must be "classic" or "quorum", got "lazy"/,
  ],
  [
    'Consumer: dead-letter exchange not a string',
    () => subscriber({ deadLetter: { exchange: 5 } }),
    ARGUMENT,
    /Consumer: deadLetter.exchange must be a non-empty string, got number 5/,
  ],
  [
    'Consumer: not a repeat counter',
    () => subscriber({ repeatCounter: {} }),
    ARGUMENT,
    /Consumer: repeatCounter must have increment\(\), forget\(\) and close\(\)/,
  ],
  [
    'Consumer: empty appId',
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
    'DeadLetters: a misspelt deadLetter key',
    () => new DeadLetters(transport, { deadLetter: { exchnage: 'x' } as never }),
    ARGUMENT,
    /DeadLetters: deadLetter: unknown option "exchnage" \(known options: exchange, queue\)/,
  ],
  [
    'DeadLetters: an empty dead-letter queue name',
    () => new DeadLetters(transport, { deadLetter: { queue: '' } }),
    ARGUMENT,
    /DeadLetters: deadLetter.queue must be a non-empty string, got ""/,
  ],
  [
    'Publisher: appId not a string',
    () => new Publisher(transport, { appId: 5 as never }),
    ARGUMENT,
    /Publisher: appId must be a non-empty string, got number 5/,
  ],

  // One-part routing keys, wherever a routing key is configured.
  [
    'Consumer: one-part route',
    () => subscriber({ bindingKeys: ['orders'] }),
    ROUTING_KEY,
    /Invalid routing key "orders": it needs at least two dot-separated parts, e.g. "order.created"/,
  ],
  [
    'Bridge.consume: one-part binding',
    () => consume({ bindingKeys: ['orders'] }),
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
    'Consumer: empty part',
    () => subscriber({ bindingKeys: ['order..placed'] }),
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

describe('a bridge without a transport', () => {
  // createTransport() (tidings/rabbitmq) owns the choice of broker from the environment, tested in
  // create-transport.test.ts; the bridge, in the broker-neutral core, never guesses one.
  it('is refused at construction with a typed error saying where a transport comes from', () => {
    let caught: unknown;
    try {
      new Bridge({ dispatcher } as unknown as BridgeOptions);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect(caught).toMatchObject({ code: 'ERR_TIDINGS_INVALID_ARGUMENT' });
    expect((caught as Error).message).toBe(
      `Bridge: "transport" must be a Transport (new MemoryTransport(), or createTransport() from 'tidings/rabbitmq'), got undefined`,
    );
    const transport = new MemoryTransport();
    expect(new Bridge({ dispatcher, transport }).transport).toBe(transport);
  });
});
