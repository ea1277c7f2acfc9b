// The public API of tidings/rabbitmq: the RabbitMQ transport on amqplib (an optional peer dependency).
// Only this entry point loads amqplib, so a service on the in-memory transport never does.

/**
 * The RabbitMQ transport (amqplib, an optional peer dependency), and `createTransport()`, which picks
 * RabbitMQ or the in-memory transport from the environment.
 *
 * @module tidings/rabbitmq
 */

export { AmqpTransport } from './adapters/rabbitmq/amqp-transport.js';
export type { AmqpTlsOptions, AmqpTransportOptions } from './adapters/rabbitmq/amqp-transport.js';
export { UNRECOVERABLE_CONNECTION_CODES } from './adapters/rabbitmq/topology.js';
export { createTransport } from './adapters/rabbitmq/create-transport.js';
export type { CreateTransportOptions } from './adapters/rabbitmq/create-transport.js';
