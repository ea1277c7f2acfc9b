// @Consume with class-validator DTOs on MemoryTransport: one broker per file, shared by the application
// and the test's publishers, as a RabbitMQ server would be.
import { MemoryBroker, MemoryTransport } from '../../src/index.js';
import { nestDtoScenarios } from './nest-dto-scenarios.js';

const broker = new MemoryBroker();

nestDtoScenarios('MemoryTransport', { transport: () => new MemoryTransport({ broker }) });
