import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors/invalid-argument-error.js';
import { TransactionStateError } from '../../src/errors/transaction-state-error.js';
import { TransactionScope } from '../../src/internal/transaction-scope.js';

/** A unit of work over a fake ORM whose transactions are names: "tx", "tx/1", "tx/1/2"… */
function unitOfWork() {
  const scope = new TransactionScope<string>();
  const log: string[] = [];
  const transaction = <T>(work: (tx: string) => Promise<T>): Promise<T> =>
    scope.transaction(
      work,
      (run) => {
        log.push('begin');
        return run('tx');
      },
      ({ tx, depth }, run) => {
        log.push(`nest in ${tx} at ${depth + 1}`);
        return run(`${tx}/${depth + 1}`);
      },
    );
  return { transaction, log };
}

describe('TransactionScope', () => {
  it('begins outside a transaction, and nests in the one the caller runs in, to any depth', async () => {
    const { transaction, log } = unitOfWork();
    const seen = await transaction(async (tx) => [
      tx,
      await transaction(async (one) => [one, await transaction(async (two) => two)]),
    ]);
    expect(seen).toEqual(['tx', ['tx/1', 'tx/1/2']]);
    expect(log).toEqual(['begin', 'nest in tx at 1', 'nest in tx/1 at 2']);
    expect(await transaction(async (tx) => tx)).toBe('tx');
  });

  it('runs nested transactions one after the other, and refuses two side by side', async () => {
    const { transaction } = unitOfWork();
    await transaction(async () => {
      await transaction(async () => undefined);
      const first = transaction(async () => undefined);
      await expect(transaction(async () => undefined)).rejects.toBeInstanceOf(TransactionStateError);
      await first;
      await expect(transaction(async (tx) => tx)).resolves.toBe('tx/1');
    });
  });

  it('frees the level when a nested transaction fails, or its ORM call throws at once', async () => {
    const scope = new TransactionScope<string>();
    await scope.transaction(
      async () => {
        const fails = () =>
          scope.transaction(
            async () => undefined,
            () => Promise.resolve(undefined),
            () => {
              throw new Error('at once');
            },
          );
        await expect(fails()).rejects.toThrow('at once');
        await expect(fails()).rejects.toThrow('at once');
      },
      (run) => run('tx'),
      (parent, run) => run(parent.tx),
    );
  });

  it('refuses a nested transaction started after the one it is nested in ended', async () => {
    const { transaction } = unitOfWork();
    let late: Promise<unknown> | undefined;
    await transaction(async () => {
      // A timer started inside the work keeps its async context after the work has ended.
      late = new Promise((resolve) => setTimeout(resolve, 5)).then(() => transaction(async () => undefined));
    });
    await expect(late).rejects.toThrow(/has already ended/);
  });

  it('refuses a work that is not a function', async () => {
    const { transaction, log } = unitOfWork();
    await expect(transaction(null as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(log).toEqual([]);
  });
});
