import { describe, expect, it, vi } from 'vitest';
import {
  AfterCommitError,
  EventDispatcher,
  FlushLoopLimitError,
  Flusher,
  InMemoryUnitOfWork,
  InvalidArgumentError,
  type EventsRoot,
  type InMemoryTransaction,
  type UnitOfWork,
} from '../../src/index.js';
import { Named, Root } from './named-events.js';

function setup(options: { unitOfWork?: InMemoryUnitOfWork; maxRounds?: number } = {}) {
  const dispatcher = new EventDispatcher();
  const unitOfWork = options.unitOfWork ?? new InMemoryUnitOfWork();
  const flusher = new Flusher({
    dispatcher,
    unitOfWork,
    ...(options.maxRounds ? { maxRounds: options.maxRounds } : {}),
  });
  const dispatched: string[] = [];
  dispatcher.on(Named, (event) => void dispatched.push(event.name));
  return { dispatcher, unitOfWork, flusher, dispatched };
}

describe('Flusher', () => {
  it('commits first, then releases and dispatches in record order across roots', async () => {
    const { flusher, unitOfWork, dispatched, dispatcher } = setup();
    const committedAtDispatch: number[] = [];
    dispatcher.on(Named, () => void committedAtDispatch.push(unitOfWork.commits));
    const a = new Root().record('a1');
    const b = new Root().record('b1');
    a.record('a2');
    b.record('b2');
    const result = await flusher.flush(b, a);
    expect(dispatched).toEqual(['a1', 'b1', 'a2', 'b2']);
    expect(result.map((e) => (e as Named).name)).toEqual(['a1', 'b1', 'a2', 'b2']);
    expect(committedAtDispatch).toEqual([1, 1, 1, 1]);
    expect(a.peekEvents()).toEqual([]);
    expect(b.peekEvents()).toEqual([]);
  });

  it('nothing is dispatched while the transaction is open', async () => {
    const { flusher, dispatched } = setup();
    const root = new Root().record('x');
    await flusher.transaction(async () => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      expect(dispatched).toEqual([]);
      return [root];
    });
    expect(dispatched).toEqual(['x']);
  });

  it('a failing commit dispatches nothing, keeps the events on the roots and propagates the error', async () => {
    const { flusher, dispatched, unitOfWork } = setup();
    const root = new Root().record('a').record('b');
    const diskFull = new Error('disk full');
    const error = await flusher
      .transaction(async (tx) => {
        tx.onCommit(() => {
          throw diskFull;
        });
        return [root];
      })
      .catch((e: unknown) => e);
    expect(error).toBe(diskFull);
    expect(dispatched).toEqual([]);
    expect(root.peekEvents().map((e) => (e as Named).name)).toEqual(['a', 'b']);
    expect(unitOfWork.rollbacks).toBe(1);
    expect(unitOfWork.commits).toBe(0);

    await flusher.flush(root);
    expect(dispatched).toEqual(['a', 'b']);
  });

  it('work that throws rolls back: nothing dispatched, events kept', async () => {
    const { flusher, dispatched } = setup();
    const root = new Root().record('a');
    const rolledBack = vi.fn();
    await expect(
      flusher.transaction(async (tx) => {
        tx.onRollback(rolledBack);
        throw new Error('constraint violated');
      }),
    ).rejects.toThrow('constraint violated');
    expect(rolledBack).toHaveBeenCalledTimes(1);
    expect(dispatched).toEqual([]);
    expect(root.peekEvents()).toHaveLength(1);
  });

  it('events recorded by listeners after commit are dispatched in the same flush, FIFO', async () => {
    const { flusher, dispatcher, dispatched } = setup();
    const root = new Root();
    dispatcher.on(Named, (event) => {
      if (event.name === 'a') root.record('a-followup-1').record('a-followup-2');
      if (event.name === 'b') root.record('b-followup');
      if (event.name === 'a-followup-1') root.record('second-round');
    });
    root.record('a').record('b');
    await flusher.flush(root);
    expect(dispatched).toEqual(['a', 'b', 'a-followup-1', 'a-followup-2', 'b-followup', 'second-round']);
  });

  it('a listener that keeps recording hits the loop bound with a clear error', async () => {
    const { flusher, dispatcher } = setup({ maxRounds: 3 });
    const root = new Root();
    let calls = 0;
    dispatcher.on(Named, () => {
      calls++;
      root.record('again');
    });
    root.record('start');
    const error = await flusher.flush(root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlushLoopLimitError);
    expect(error).toBeInstanceOf(AfterCommitError);
    expect(error).toMatchObject({ code: 'ERR_TIDINGS_FLUSH_LOOP_LIMIT', committed: true, maxRounds: 3 });
    expect((error as FlushLoopLimitError).undispatched).toHaveLength(1);
    expect((error as Error).message).toMatch(/committed.*after 3 dispatch rounds/);
    expect(calls).toBe(3);
  });

  it('a listener failing after commit gives an AfterCommitError that says the transaction was committed', async () => {
    const { flusher, dispatcher, unitOfWork } = setup();
    const cause = new Error('smtp down');
    dispatcher.on(Named, (event) => {
      if (event.name === 'b') throw cause;
    });
    const root = new Root().record('a').record('b').record('c');
    const error = await flusher.flush(root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AfterCommitError);
    const afterCommit = error as AfterCommitError;
    expect(afterCommit.committed).toBe(true);
    expect(afterCommit.code).toBe('ERR_TIDINGS_AFTER_COMMIT');
    expect(afterCommit.cause).toBe(cause);
    expect(afterCommit.message).toMatch(/transaction was committed.*smtp down.*do not retry/);
    expect(afterCommit.undispatched.map((e) => (e as Named).name)).toEqual(['b', 'c']);
    expect(unitOfWork.commits).toBe(1);
  });

  it('nested transactions: only the outermost commit releases, inner roots join it', async () => {
    const { flusher, dispatched, unitOfWork } = setup();
    const outer = new Root().record('outer');
    const inner = new Root().record('inner');
    const depths: number[] = [];
    await flusher.transaction(async (tx) => {
      depths.push(tx.depth);
      const released = await flusher.transaction(async (nestedTx) => {
        depths.push(nestedTx.depth);
        await flusher.flush(new Root().record('deepest'));
        return [inner];
      });
      expect(released).toEqual([]);
      expect(dispatched).toEqual([]);
      return [outer];
    });
    expect(depths).toEqual([0, 1]);
    expect(dispatched).toEqual(['outer', 'inner', 'deepest']);
    expect(unitOfWork.commits).toBe(1);
  });

  it('two flushers interleaved: each finds its own open transaction, not the other one', async () => {
    const a = setup();
    const b = setup();
    const depths: string[] = [];
    await a.flusher.transaction(async (aTx) => {
      depths.push(`a${aTx.depth}`);
      await b.flusher.transaction(async (bTx) => {
        depths.push(`b${bTx.depth}`);
        // Inside b's transaction, a's is still open around it: a flush of a nests in it.
        await a.flusher.transaction(async (nested) => {
          depths.push(`a${nested.depth}`);
          return [new Root().record('a-inner')];
        });
        return [new Root().record('b')];
      });
      expect(b.dispatched).toEqual(['b']); // b committed on its own
      expect(a.dispatched).toEqual([]); // a's inner flush waits for a's outermost commit
      return [new Root().record('a-outer')];
    });
    expect(depths).toEqual(['a0', 'b0', 'a1']);
    expect(a.dispatched).toEqual(['a-inner', 'a-outer']); // in record order
    expect([a.unitOfWork.commits, b.unitOfWork.commits]).toEqual([1, 1]);
  });

  it('a nested transaction that fails and is caught releases nothing of its own', async () => {
    const { flusher, dispatched } = setup();
    const failedInner = new Root().record('inner');
    const undone = vi.fn();
    await flusher.transaction(async (_tx, scope) => {
      await flusher
        .transaction(async (tx) => {
          tx.onRollback(undone);
          scope.track(new Root().record('tracked-by-outer'));
          return Promise.reject(new Error('savepoint rolled back'));
        })
        .catch(() => undefined);
      return [failedInner].filter(() => false);
    });
    expect(undone).toHaveBeenCalledTimes(1);
    expect(dispatched).toEqual(['tracked-by-outer']);
    expect(failedInner.peekEvents()).toHaveLength(1);
  });

  it('a flush started by an after-commit listener is a new, outermost flush', async () => {
    const { flusher, dispatcher, dispatched, unitOfWork } = setup();
    const other = new Root();
    dispatcher.on(Named, async (event) => {
      if (event.name === 'first') await flusher.flush(other.record('from listener'));
    });
    await flusher.flush(new Root().record('first'));
    expect(dispatched).toEqual(['first', 'from listener']);
    expect(unitOfWork.commits).toBe(2);
  });

  it('works with any UnitOfWork implementation and passes its transaction handle', async () => {
    const log: string[] = [];
    const unitOfWork: UnitOfWork<{ connection: string }> = {
      async transaction(work) {
        log.push('begin');
        try {
          const result = await work({ connection: 'db-1' });
          log.push('commit');
          return result;
        } catch (error) {
          log.push('rollback');
          throw error;
        }
      },
    };
    const dispatcher = new EventDispatcher();
    dispatcher.on(Named, (event) => void log.push(`dispatch ${event.name}`));
    const flusher = new Flusher({ dispatcher, unitOfWork });
    await flusher.transaction(async (tx) => {
      log.push(`write on ${tx.connection}`);
      return [new Root().record('x')];
    });
    expect(log).toEqual(['begin', 'write on db-1', 'commit', 'dispatch x']);
  });

  it('uses an InMemoryUnitOfWork when none is given', async () => {
    const dispatcher = new EventDispatcher();
    const flusher = new Flusher({ dispatcher });
    const seen: number[] = [];
    await flusher.transaction(async (tx: InMemoryTransaction) => {
      seen.push(tx.depth);
    });
    expect(seen).toEqual([0]);
  });

  it('rejects bad roots inside the transaction, so it rolls back', async () => {
    const { flusher, unitOfWork } = setup();
    await expect(flusher.flush({} as EventsRoot)).rejects.toThrow(InvalidArgumentError);
    await expect(flusher.transaction(async () => 42 as never)).rejects.toThrow(
      /expected the roots to release/,
    );
    expect(unitOfWork.rollbacks).toBe(2);
    expect(() => new Flusher({ dispatcher: new EventDispatcher(), maxRound: 3 } as never)).toThrow(
      /unknown option "maxRound"/,
    );
    expect(() => new Flusher({} as never)).toThrow(/"dispatcher" must have a dispatch\(\) method/);
  });
});

describe('before-commit hooks (where the outbox plugs in)', () => {
  it('see the events inside the transaction, before commit, with the transaction handle', async () => {
    const dispatcher = new EventDispatcher();
    const unitOfWork = new InMemoryUnitOfWork();
    const log: string[] = [];
    dispatcher.on(Named, (event) => void log.push(`dispatch ${event.name}`));
    const flusher = new Flusher({
      dispatcher,
      unitOfWork,
      beforeCommit: [
        (events, tx) => {
          log.push(
            `outbox ${events.map((e) => (e as Named).name).join(',')} in tx ${tx.id} (commits: ${unitOfWork.commits})`,
          );
          tx.onCommit(() => void log.push('commit'));
        },
      ],
    });
    await flusher.flush(new Root().record('a').record('b'));
    expect(log).toEqual(['outbox a,b in tx 1 (commits: 0)', 'commit', 'dispatch a', 'dispatch b']);
  });

  it('a failing hook rolls the transaction back: nothing dispatched, events kept', async () => {
    const { flusher, dispatched } = setup();
    flusher.addBeforeCommitHook(() => {
      throw new Error('outbox unavailable');
    });
    const root = new Root().record('a');
    await expect(flusher.flush(root)).rejects.toThrow('outbox unavailable');
    expect(dispatched).toEqual([]);
    expect(root.peekEvents()).toHaveLength(1);
  });

  it('events recorded after commit go through the hooks in a transaction of their own before dispatch', async () => {
    const { flusher, dispatcher, unitOfWork } = setup();
    const log: string[] = [];
    const root = new Root();
    dispatcher.on(Named, (event) => {
      log.push(`dispatch ${event.name}`);
      if (event.name === 'first') root.record('followup');
    });
    const remove = flusher.addBeforeCommitHook((events, tx) => {
      log.push(`hook ${events.map((e) => (e as Named).name).join(',')} tx ${tx.id}`);
    });
    await flusher.flush(root.record('first'));
    expect(log).toEqual(['hook first tx 1', 'dispatch first', 'hook followup tx 2', 'dispatch followup']);
    expect(unitOfWork.commits).toBe(2);

    remove();
    log.length = 0;
    await flusher.flush(root.record('unhooked'));
    expect(log).toEqual(['dispatch unhooked']);
  });

  it('a root without peekEvents cannot be flushed while hooks exist', async () => {
    const { flusher } = setup();
    flusher.addBeforeCommitHook(() => {});
    const bare: EventsRoot = { releaseEvents: () => [new Named('x')] };
    await expect(flusher.flush(bare)).rejects.toThrow(/has no peekEvents\(\)/);
  });
});

describe('InMemoryUnitOfWork', () => {
  it('nested transactions behave like savepoints', async () => {
    const unitOfWork = new InMemoryUnitOfWork();
    const log: string[] = [];
    await unitOfWork.transaction(async (outer) => {
      outer.onCommit(() => void log.push('outer commit'));
      await unitOfWork
        .transaction(async (inner) => {
          inner.onRollback(() => void log.push('inner rollback'));
          inner.onCommit(() => void log.push('inner commit (never)'));
          throw new Error('inner fails');
        })
        .catch(() => undefined);
      await unitOfWork.transaction(async (inner) => {
        inner.onCommit(() => void log.push('second inner commit'));
      });
    });
    expect(log).toEqual(['inner rollback', 'outer commit', 'second inner commit']);
    expect(unitOfWork.commits).toBe(1);
    expect(unitOfWork.rollbacks).toBe(1);
  });

  it('rolling back the outer transaction undoes committed nested ones, newest first', async () => {
    const unitOfWork = new InMemoryUnitOfWork();
    const log: string[] = [];
    await unitOfWork
      .transaction(async (outer) => {
        outer.onRollback(() => void log.push('undo outer'));
        await unitOfWork.transaction(async (inner) => {
          inner.onRollback(() => void log.push('undo inner'));
        });
        throw new Error('outer fails');
      })
      .catch(() => undefined);
    expect(log).toEqual(['undo inner', 'undo outer']);
  });
});
