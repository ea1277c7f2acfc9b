import { afterAll } from 'vitest';
import { AmqpTransport } from '../../src/rabbitmq.js';
import { transportContract } from '../contract/transport-contract.js';
import { AMQP_URL } from './servers.js';

const transports: AmqpTransport[] = [];

transportContract('AmqpTransport', () => {
  const transport = new AmqpTransport({ url: AMQP_URL });
  transports.push(transport);
  return transport;
});

afterAll(async () => {
  await Promise.all(transports.map((transport) => transport.close()));
});
