import { afterEach, beforeEach, describe } from 'vitest';
import type { Transport } from '../../src/messaging/transport.js';
import { consumingContract } from './consuming.contract.js';
import { deadLetterContract } from './dead-letter.contract.js';
import { ContractHarness } from './harness.js';
import { lifecycleContract } from './lifecycle.contract.js';
import { routingContract } from './routing.contract.js';

export interface TransportContractOptions {
  /**
   * How late a TTL expiry may be before a test fails (a real broker checks expiry lazily).
   * @defaultValue 1000
   */
  ttlSlackMs?: number;
}

/** What every part of the contract gets: the current test's harness and the options. */
export interface ContractContext {
  readonly harness: () => ContractHarness;
  readonly ttlSlackMs: number;
}

/**
 * Registers the tests every `Transport` must pass, RabbitMQ's semantics as tidings relies on them.
 *
 * `create` must return a new transport connected to the **same** broker each time (a `MemoryTransport`
 * on one shared `MemoryBroker`, or an `AmqpTransport` to one RabbitMQ): some tests use two transports,
 * as two services would. Every test uses unique names and deletes what it declared.
 *
 * @example
 * const broker = new MemoryBroker();
 * transportContract('MemoryTransport', () => new MemoryTransport({ broker }));
 */
export function transportContract(
  name: string,
  create: () => Promise<Transport> | Transport,
  options: TransportContractOptions = {},
): void {
  describe(`Transport contract: ${name}`, () => {
    let current: ContractHarness | undefined;
    const context: ContractContext = {
      harness: () => {
        if (!current) throw new Error('no harness: used outside a test');
        return current;
      },
      ttlSlackMs: options.ttlSlackMs ?? 1000,
    };

    beforeEach(async () => {
      current = new ContractHarness(create);
      await current.start();
    });

    afterEach(async () => {
      await current?.cleanUp();
      current = undefined;
    });

    describe('routing and publishing', () => routingContract(context));
    describe('consuming', () => consumingContract(context));
    describe('dead-lettering and TTL', () => deadLetterContract(context));
    describe('topology, queue operations and lifecycle', () => lifecycleContract(context));
  });
}
