// How each library is set up, in one place so every scenario uses the same settings:
// - raw amqplib: one connection; a confirm channel for publishing, a channel per consumer;
// - tidings: an AmqpTransport with its defaults (maxUnconfirmed 1000: the same window as the others);
// - Rascal: `withDefaultConfig`, publications confirmed (Rascal's default), subscriptions with the
//   scenario's prefetch;
// - amqp-connection-manager: `connect([url])`, then ChannelWrappers (confirm channels, its default)
//   whose setup functions do what raw amqplib does, as its README recommends; `json: false` (bodies are
//   the same Buffers as raw amqplib's).
// Every client's socket has Nagle's algorithm off (`noDelay`), tidings' default: with amqplib's default
// (Nagle on) a lone small frame can wait ~40 ms for the broker's delayed ACK, which shows in the latency
// scenario's p99 and says nothing about the library.
// Each library is imported only when a case asks for it: a case's process loads the client it measures
// (and amqplib, which all of them use), nothing else.
import type { ChannelModel } from 'amqplib';
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel } from 'amqplib';
import type rascal from 'rascal';
import type { AmqpTransport } from '../../src/rabbitmq.js';
import { AMQP_URL, PREFETCH } from './harness.js';

/** The tidings under test (compiled, see tidings.ts). */
export async function loadTidings() {
  return (await import('./tidings.js')).tidings;
}

export async function rawConnection(name: string): Promise<ChannelModel> {
  const { default: amqplib } = await import('amqplib');
  const connection = await amqplib.connect(AMQP_URL, {
    noDelay: true,
    clientProperties: { connection_name: name },
  });
  connection.on('error', () => {});
  return connection;
}

export async function tidingsTransport(name: string): Promise<AmqpTransport> {
  const tidings = await loadTidings();
  const transport = new tidings.AmqpTransport({ url: AMQP_URL, connectionName: name });
  transport.on('error', () => {});
  await transport.connect();
  return transport;
}

/** An amqp-connection-manager connection, connected. */
export async function acmConnection(name: string): Promise<AmqpConnectionManager> {
  const { default: acm } = await import('amqp-connection-manager');
  const connection = acm.connect([AMQP_URL], {
    connectionOptions: { noDelay: true, clientProperties: { connection_name: name } },
  });
  connection.on('connectFailed', () => {});
  await connection.connect({ timeout: 10_000 });
  return connection;
}

/**
 * A ChannelWrapper whose setup (run on every (re)connect) is `setup`; resolves once it ran. A confirm
 * channel (acm's default) unless `confirm` is false (consumers: raw amqplib consumes on a plain one).
 */
export async function acmChannel(
  connection: AmqpConnectionManager,
  name: string,
  setup: (channel: ConfirmChannel) => Promise<unknown> = async () => {},
  confirm = true,
): Promise<ChannelWrapper> {
  const channel = connection.createChannel({ name, json: false, confirm, setup });
  channel.on('error', () => {});
  await channel.waitForConnect();
  return channel;
}

export interface RascalSpec {
  /** A topic exchange (durable) publications go to. */
  readonly exchange?: string;
  /** Queues with their arguments; declared by the harness already, Rascal asserts the same. */
  readonly queues?: Readonly<Record<string, Record<string, unknown>>>;
  readonly publications?: Readonly<Record<string, { exchange: string; routingKey: string }>>;
  readonly subscriptions?: Readonly<Record<string, { queue: string }>>;
  /** Subscriptions' prefetch (default 100). */
  readonly prefetch?: number;
}

/** A Rascal broker on a connection of its own (Rascal opens one per vhost). */
export async function rascalBroker(spec: RascalSpec): Promise<rascal.BrokerAsPromised> {
  const { default: rascal } = await import('rascal');
  const queues = Object.fromEntries(
    Object.entries(spec.queues ?? {}).map(([name, args]) => [
      name,
      { options: { durable: true, arguments: args } },
    ]),
  );
  const publications = Object.fromEntries(
    Object.entries(spec.publications ?? {}).map(([name, publication]) => [
      name,
      { ...publication, confirm: true },
    ]),
  );
  const subscriptions = Object.fromEntries(
    Object.entries(spec.subscriptions ?? {}).map(([name, subscription]) => [
      name,
      { ...subscription, prefetch: spec.prefetch ?? PREFETCH },
    ]),
  );
  const config = rascal.withDefaultConfig({
    vhosts: {
      '/': {
        connection: { url: AMQP_URL, socketOptions: { noDelay: true } },
        exchanges: spec.exchange === undefined ? {} : { [spec.exchange]: { type: 'topic' } },
        queues,
      },
    },
    publications,
    subscriptions,
  });
  const broker = await rascal.BrokerAsPromised.create(config);
  broker.on('error', () => {});
  return broker;
}
