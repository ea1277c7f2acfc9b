// A Nest testing module on its own in-memory broker, with what the tests of forFeature and enhancers
// look at: where each message ended up (the Bridge's `settled`), and a way to publish to it.
import type { ModuleMetadata } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  Bridge,
  MemoryBroker,
  MemoryTransport,
  Publisher,
  type SettledOutcome,
  type Transport,
} from '../../src/index.js';

const silent = { log() {}, error() {}, warn() {} };

export interface TestingApp {
  readonly module: TestingModule;
  /** Every settled outcome, in order. */
  readonly settled: SettledOutcome[];
  /** Publishes `payload` to `routingKey` on the application's broker. */
  send(payload: unknown, routingKey: string): Promise<void>;
  close(): Promise<void>;
}

/** A broker and a transport to it, for `forRoot({ transport })`. */
export function memoryBroker(): { broker: MemoryBroker; transport: () => Transport } {
  const broker = new MemoryBroker();
  return { broker, transport: () => new MemoryTransport({ broker }) };
}

/** Compiles and starts (init: discovery, then consumers) a testing module on `broker`. */
export async function startApp(broker: MemoryBroker, metadata: ModuleMetadata): Promise<TestingApp> {
  const module = await Test.createTestingModule(metadata).setLogger(silent).compile();
  const settled: SettledOutcome[] = [];
  module.get(Bridge).on('settled', (outcome) => settled.push(outcome));
  await module.init();
  const sender = new MemoryTransport({ broker });
  const publisher = new Publisher(sender, { appId: 'test-sender' });
  return {
    module,
    settled,
    async send(payload, routingKey) {
      await publisher.send(payload, routingKey);
    },
    async close() {
      await module.close();
      await sender.close();
    },
  };
}

/** Compiles and starts a testing module that is expected to fail: its error. */
export async function startError(metadata: ModuleMetadata): Promise<unknown> {
  let module: TestingModule | undefined;
  try {
    module = await Test.createTestingModule(metadata).setLogger(silent).compile();
    await module.init();
  } catch (error) {
    return error;
  } finally {
    await module?.close().catch(() => undefined);
  }
  throw new Error('the application started');
}
