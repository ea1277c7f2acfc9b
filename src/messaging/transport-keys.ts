import { optionKeys } from '../internal/options.js';
import type {
  BindingSpec,
  ConsumeOptions,
  Delivery,
  ExchangeSpec,
  MessageProperties,
  OutgoingMessage,
  PublishOptions,
  QueueSpec,
  Topology,
  Transport,
} from './transport.js';

/**
 * The keys of the objects the `Transport` contract takes, checked by the compiler against its
 * interfaces. Every transport refuses other keys, naming them (`assertKnownOptions`), and with one list
 * per interface the transports cannot come to disagree about which keys exist.
 */

export const TOPOLOGY_KEYS = optionKeys<Topology>({ exchanges: true, queues: true, bindings: true });

export const EXCHANGE_SPEC_KEYS = optionKeys<ExchangeSpec>({ name: true, type: true, durable: true });

export const QUEUE_SPEC_KEYS = optionKeys<QueueSpec>({
  name: true,
  durable: true,
  deadLetterExchange: true,
  deadLetterRoutingKey: true,
  messageTtlMs: true,
  queueType: true,
  deadLetterStrategy: true,
});

export const BINDING_SPEC_KEYS = optionKeys<BindingSpec>({ queue: true, exchange: true, pattern: true });

export const CONSUME_OPTION_KEYS = optionKeys<ConsumeOptions>({ prefetch: true });

export const PUBLISH_OPTION_KEYS = optionKeys<PublishOptions>({ timeoutMs: true });

export const CLOSE_OPTION_KEYS = optionKeys<NonNullable<Parameters<Transport['close']>[0]>>({
  timeoutMs: true,
});

export const NACK_OPTION_KEYS = optionKeys<Parameters<Delivery['nack']>[0]>({ requeue: true });

export const OUTGOING_MESSAGE_KEYS = optionKeys<OutgoingMessage>({
  exchange: true,
  routingKey: true,
  content: true,
  properties: true,
});

export const MESSAGE_PROPERTY_KEYS = optionKeys<MessageProperties>({
  contentType: true,
  contentEncoding: true,
  deliveryMode: true,
  messageId: true,
  correlationId: true,
  appId: true,
  type: true,
  timestamp: true,
  expiration: true,
  replyTo: true,
  priority: true,
  headers: true,
});
