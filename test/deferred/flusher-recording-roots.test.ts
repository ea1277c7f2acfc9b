// Roots that record an event while a Flusher.transaction callback runs join the flush without being
// returned: committed, their events are dispatched; rolled back (or in a nested transaction rolled back),
// they are not, and stay recorded.
import { describe, expect, it } from 'vitest';
import { EventDispatcher, Flusher, InMemoryUnitOfWork } from '../../src/index.js';
import { Named, names, Root } from './named-events.js';

function setup() {
  const dispatcher = new EventDispatcher();
  const flusher = new Flusher({ dispatcher, unitOfWork: new InMemoryUnitOfWork() });
  const dispatched: string[] = [];
  const written: string[][] = [];
  dispatcher.on(Named, (event) => void dispatched.push(event.name));
  flusher.addBeforeCommitHook((events) => void written.push(names(events)));
  return { dispatcher, flusher, dispatched, written };
}

describe('Flusher: roots recording inside the transaction callback', () => {
  it('writes and dispatches their events after commit without their being returned', async () => {
    const { flusher, dispatched, written } = setup();
    const first = new Root();
    const second = new Root();
    const events = await flusher.transaction(async () => {
      first.record('a');
      await Promise.resolve();
      second.record('b');
      first.record('c');
    });
    expect(names(events)).toEqual(['a', 'b', 'c']);
    expect(written).toEqual([['a', 'b', 'c']]);
    expect(dispatched).toEqual(['a', 'b', 'c']);
    expect(first.peekEvents()).toEqual([]);
  });

  it('dispatches a root once when it both records inside and is returned', async () => {
    const { flusher, dispatched } = setup();
    const root = new Root();
    await flusher.transaction(async () => [root.record('a')]);
    expect(dispatched).toEqual(['a']);
  });

  it('leaves recorded before the callback alone unless returned', async () => {
    const { flusher, dispatched } = setup();
    const before = new Root().record('earlier');
    await flusher.transaction(async () => {
      new Root().record('inside');
    });
    expect(dispatched).toEqual(['inside']);
    expect(names(before.peekEvents())).toEqual(['earlier']);
  });

  it('dispatches nothing on rollback and keeps the events recorded', async () => {
    const { flusher, dispatched, written } = setup();
    const root = new Root();
    await expect(
      flusher.transaction(async () => {
        root.record('a');
        throw new Error('declined');
      }),
    ).rejects.toThrow('declined');
    expect(dispatched).toEqual([]);
    expect(written).toEqual([]);
    expect(names(root.peekEvents())).toEqual(['a']);
  });

  it('does not carry roots of a nested transaction that rolled back into the outer flush', async () => {
    const { flusher, dispatched } = setup();
    const kept = new Root();
    const undone = new Root();
    await flusher.transaction(async () => {
      kept.record('kept');
      await flusher
        .transaction(async () => {
          undone.record('undone');
          throw new Error('inner fails');
        })
        .catch(() => undefined);
      await flusher.transaction(async () => {
        kept.record('nested-kept');
      });
    });
    expect(dispatched).toEqual(['kept', 'nested-kept']);
    expect(names(undone.peekEvents())).toEqual(['undone']);
  });

  it('does not collect roots recording after the callback, during dispatch', async () => {
    const { dispatcher, flusher, dispatched } = setup();
    const bystander = new Root();
    dispatcher.on(Named, (event) => {
      if (event.name === 'a') bystander.record('later');
    });
    await flusher.transaction(async () => {
      new Root().record('a');
    });
    expect(dispatched).toEqual(['a']);
    expect(names(bystander.peekEvents())).toEqual(['later']);
  });

  it('keeps concurrent flushes apart', async () => {
    const { flusher } = setup();
    const [left, right] = await Promise.all([
      flusher.transaction(async () => {
        new Root().record('left-1');
        await new Promise((resolve) => setTimeout(resolve, 5));
        new Root().record('left-2');
      }),
      flusher.transaction(async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        new Root().record('right');
      }),
    ]);
    expect(names(left)).toEqual(['left-1', 'left-2']);
    expect(names(right)).toEqual(['right']);
  });
});

describe('Flusher: a task the callback left running', () => {
  it('does not add a root recording after the callback settled to that flush, even while it dispatches', async () => {
    const { dispatcher, flusher, dispatched } = setup();
    const late = new Root();
    let recordLater: Promise<void> | undefined;
    // The flush is still dispatching (this listener waits) when the left-over task records.
    dispatcher.on(Named, async (event) => {
      if (event.name === 'inside') await recordLater;
    });
    await flusher.transaction(async () => {
      new Root().record('inside');
      // Left running on purpose: it keeps the callback's async context.
      recordLater = new Promise((resolve) =>
        setTimeout(() => {
          late.record('late');
          resolve();
        }, 20),
      );
    });
    expect(dispatched).toEqual(['inside']);
    expect(names(late.peekEvents())).toEqual(['late']);
  });
});
