// How each library is set up, in one place so every scenario uses the same settings:
// - raw amqplib: one connection; a confirm channel for publishing, a channel per consumer;
// - tidings: an AmqpTransport with its defaults (maxUnconfirmed 1000: the same window as the others);
// - Rascal: `withDefaultConfig`, publications confirmed (Rascal's default), subscriptions with prefetch 100.
import amqplib from 'amqplib';
import type { ChannelModel } from 'amqplib';
import rascal from 'rascal';
import type { AmqpTransport } from '../../src/rabbitmq.js';
import { AMQP_URL, PREFETCH } from './harness.js';
import { tidings } from './tidings.js';

export async function rawConnection(name: string): Promise<ChannelModel> {
  const connection = await amqplib.connect(AMQP_URL, { clientProperties: { connection_name: name } });
  connection.on('error', () => {});
  return connection;
}

export async function tidingsTransport(name: string): Promise<AmqpTransport> {
  const transport = new tidings.AmqpTransport({ url: AMQP_URL, connectionName: name });
  transport.on('error', () => {});
  await transport.connect();
  return transport;
}

export interface RascalSpec {
  /** A topic exchange (durable) publications go to. */
  readonly exchange?: string;
  /** Queues with their arguments; declared by the harness already, Rascal asserts the same. */
  readonly queues?: Readonly<Record<string, Record<string, unknown>>>;
  readonly publications?: Readonly<Record<string, { exchange: string; routingKey: string }>>;
  readonly subscriptions?: Readonly<Record<string, { queue: string }>>;
}

/** A Rascal broker on a connection of its own (Rascal opens one per vhost). */
export async function rascalBroker(spec: RascalSpec): Promise<rascal.BrokerAsPromised> {
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
      { ...subscription, prefetch: PREFETCH },
    ]),
  );
  const config = rascal.withDefaultConfig({
    vhosts: {
      '/': {
        connection: { url: AMQP_URL },
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
