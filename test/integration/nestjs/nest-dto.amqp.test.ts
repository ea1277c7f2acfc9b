// @Consume with class-validator DTOs against the local RabbitMQ: the same tests as on MemoryTransport
// (test/nestjs/nest-dto-scenarios.ts). Every queue and exchange they declare is deleted after each test.
import { AmqpTransport } from '../../../src/rabbitmq.js';
import { nestDtoScenarios } from '../../nestjs/nest-dto-scenarios.js';
import { AMQP_URL } from '../servers.js';

nestDtoScenarios('RabbitMQ', { transport: () => new AmqpTransport({ url: AMQP_URL }) });
