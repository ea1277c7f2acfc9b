// The Nest module's scenarios on MemoryTransport: one broker per file, shared by the application and
// the test's publishers, as a RabbitMQ server would be.
import { MemoryBroker, MemoryTransport } from '../../src/index.js';
import { nestScenarios } from './nest-scenarios.js';

const broker = new MemoryBroker();

nestScenarios('MemoryTransport', { transport: () => new MemoryTransport({ broker }) });
