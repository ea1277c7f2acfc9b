// TransactionHostUnitOfWork without a database: it asks @nestjs-cls/transactional's TransactionHost for
// the propagation each case needs (a new transaction, a savepoint, or a refusal inside a transaction it
// does not run).
// Against PostgreSQL and TypeORM: test/integration/nestjs/nest-transactions.test.ts.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { EntityManager } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { EventDispatcher, Flusher, InvalidArgumentError, TransactionStateError } from '../../src/index.js';
import { TransactionHostUnitOfWork, type TransactionHostLike } from '../../src/nestjs.js';

/** A transaction of the fake host: a name, and whether it is still open. */
interface FakeTx {
  readonly name: string;
  open: boolean;
}

/** A TransactionHost stand-in: records the propagation of each call, keeps its transaction in a context. */
class FakeHost implements TransactionHostLike<FakeTx> {
  readonly calls: string[] = [];
  readonly #current = new AsyncLocalStorage<FakeTx>();
  #count = 0;

  get tx(): FakeTx {
    return this.#current.getStore() ?? { name: 'fallback', open: false };
  }

  isTransactionActive(): boolean {
    return this.#current.getStore() !== undefined;
  }

  async withTransaction<R>(propagation: string, fn: () => Promise<R>): Promise<R> {
    this.calls.push(propagation);
    const tx = { name: `tx${++this.#count}`, open: true };
    try {
      return await this.#current.run(tx, fn);
    } finally {
      tx.open = false;
    }
  }
}

describe('TransactionHostUnitOfWork', () => {
  it('begins a new transaction, and nests a savepoint in its own', async () => {
    const host = new FakeHost();
    const unitOfWork = new TransactionHostUnitOfWork(host, { isOpen: (tx) => tx.open });
    const seen: string[] = [];
    await unitOfWork.transaction(async (tx) => {
      seen.push(tx.name);
      await unitOfWork.transaction(async (nested) => void seen.push(nested.name));
    });
    expect(host.calls).toEqual(['REQUIRES_NEW', 'NESTED']);
    expect(seen).toEqual(['tx1', 'tx2']);
  });

  it('refuses to start inside an open transaction it does not run, naming why', async () => {
    const host = new FakeHost();
    const unitOfWork = new TransactionHostUnitOfWork(host, { isOpen: (tx) => tx.open });
    const attempt = host.withTransaction('REQUIRED', () => unitOfWork.transaction(async () => 'ran'));
    await expect(attempt).rejects.toBeInstanceOf(TransactionStateError);
    await expect(attempt).rejects.toMatchObject({ code: 'ERR_TIDINGS_TRANSACTION_STATE' });
  });

  it('starts a new transaction where the host still holds one that has ended', async () => {
    const host = new FakeHost();
    const unitOfWork = new TransactionHostUnitOfWork(host, { isOpen: (tx) => tx.open });
    const result = await host.withTransaction('REQUIRED', async () => {
      host.tx.open = false; // what TypeORM's query runner says once it has committed
      return unitOfWork.transaction(async (tx) => tx.name);
    });
    expect(result).toBe('tx2');
    expect(host.calls).toEqual(['REQUIRED', 'REQUIRES_NEW']);
  });

  it('by default, reads whether the transaction is open from its TypeORM query runner', async () => {
    const host = new FakeHost();
    const unitOfWork = new TransactionHostUnitOfWork(host);
    const withRunner = (active: boolean) =>
      host.withTransaction('REQUIRED', async () => {
        Object.assign(host.tx, { queryRunner: { isTransactionActive: active } });
        return unitOfWork.transaction(async () => 'ran');
      });
    await expect(withRunner(true)).rejects.toBeInstanceOf(TransactionStateError);
    await expect(withRunner(false)).resolves.toBe('ran');
  });

  it('rejects what is not a TransactionHost, and unknown options', () => {
    expect(() => new TransactionHostUnitOfWork({} as FakeHost)).toThrow(InvalidArgumentError);
    expect(() => new TransactionHostUnitOfWork(new FakeHost(), { isopen: () => true } as object)).toThrow(
      /isopen/,
    );
  });

  it("takes @nestjs-cls/transactional's TransactionHost as it is (compile-time check)", () => {
    const make = (txHost: TransactionHost<TransactionalAdapterTypeOrm>) =>
      new TransactionHostUnitOfWork(txHost);
    const flusherOf = (txHost: TransactionHost<TransactionalAdapterTypeOrm>) =>
      new Flusher<EntityManager>({ dispatcher: new EventDispatcher(), unitOfWork: make(txHost) });
    expect(flusherOf).toBeTypeOf('function');
  });
});
