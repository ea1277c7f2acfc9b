// The Nest module's scenarios against the local RabbitMQ: the same tests as on MemoryTransport
// (test/nestjs/nest-scenarios.ts), each application with its own connection. Every queue and exchange
// they declare is deleted after each test.
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { nestScenarios } from '../../nestjs/nest-scenarios.js';
import { AMQP_URL } from '../servers.js';

nestScenarios('RabbitMQ', { transport: () => new AmqpTransport({ url: AMQP_URL }) });
