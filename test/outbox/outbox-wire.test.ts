// The wire-identity scenarios on the embedded defaults: MemoryOutbox, InMemoryUnitOfWork, MemoryTransport.
import { InMemoryUnitOfWork, MemoryBroker, MemoryOutbox, MemoryTransport } from '../../src/index.js';
import { wireIdentityScenarios } from './wire-identity-scenarios.js';

wireIdentityScenarios('MemoryOutbox + MemoryTransport', () =>
  Promise.resolve({
    transport: new MemoryTransport({ broker: new MemoryBroker() }),
    unitOfWork: new InMemoryUnitOfWork(),
    outbox: new MemoryOutbox(),
  }),
);
