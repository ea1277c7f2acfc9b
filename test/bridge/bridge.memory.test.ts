import { MemoryBroker, MemoryRepeatCounter, MemoryTransport } from '../../src/index.js';
import { bridgeScenarios } from './bridge-scenarios.js';

bridgeScenarios('MemoryTransport', async () => ({
  transport: new MemoryTransport({ broker: new MemoryBroker() }),
  counter: new MemoryRepeatCounter(),
}));
