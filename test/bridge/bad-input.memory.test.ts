import { MemoryBroker, MemoryRepeatCounter, MemoryTransport } from '../../src/index.js';
import { badInputCorpus } from './bad-input-corpus.js';

badInputCorpus('MemoryTransport', async () => {
  const transport = new MemoryTransport({ broker: new MemoryBroker() });
  // The memory transport adds no message id and checks only what amqplib would refuse: it serves as the
  // raw client too.
  return {
    transport,
    counter: new MemoryRepeatCounter(),
    publishRaw: (message) => transport.publish(message),
  };
});
