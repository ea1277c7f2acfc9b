// writeBeforeCommit / dispatchAfterCommit: the Flusher's two halves for a transaction an ORM runs itself
// (tidings/mikro-orm, tidings/typeorm hook them into the ORM's commit events).
import { describe, expect, it } from 'vitest';
import {
  AfterCommitError,
  EventDispatcher,
  Flusher,
  InMemoryUnitOfWork,
  InvalidArgumentError,
  type InMemoryTransaction,
} from '../../src/index.js';
import { Named, Root } from './named-events.js';

function setup() {
  const dispatcher = new EventDispatcher();
  const flusher = new Flusher({ dispatcher, unitOfWork: new InMemoryUnitOfWork() });
  const dispatched: string[] = [];
  const written: { names: string[]; tx: InMemoryTransaction }[] = [];
  dispatcher.on(Named, (event) => void dispatched.push(event.name));
  flusher.addBeforeCommitHook((events, tx) => {
    written.push({ names: events.map((event) => (event as Named).name), tx });
  });
  return { dispatcher, flusher, dispatched, written };
}

describe('Flusher for a transaction it does not run', () => {
  it('writes the events in the caller transaction before commit, keeping them recorded', async () => {
    const { flusher, dispatched, written } = setup();
    const first = new Root().record('a');
    const second = new Root().record('b');
    first.record('c');
    const tx = { id: 1 } as unknown as InMemoryTransaction;
    await flusher.writeBeforeCommit([first, second], tx);
    expect(written).toEqual([{ names: ['a', 'b', 'c'], tx }]);
    expect(dispatched).toEqual([]);
    expect(first.peekEvents().map((event) => (event as Named).name)).toEqual(['a', 'c']);
  });

  it('dispatches after commit in record order, releasing the events, and runs after-commit hooks first', async () => {
    const { flusher, dispatched } = setup();
    const order: string[] = [];
    flusher.addAfterCommitHook(() => void order.push('after-commit'));
    const first = new Root().record('a');
    const second = new Root().record('b');
    first.record('c');
    const events = await flusher.dispatchAfterCommit(new Set([second, first]));
    order.push('dispatched');
    expect(dispatched).toEqual(['a', 'b', 'c']);
    expect(events.map((event) => (event as Named).name)).toEqual(['a', 'b', 'c']);
    expect(order).toEqual(['after-commit', 'dispatched']);
    expect(first.peekEvents()).toEqual([]);
  });

  it('commits what listeners record during dispatch through its own unit of work, then dispatches it', async () => {
    const { dispatcher, flusher, dispatched, written } = setup();
    const root = new Root().record('placed');
    dispatcher.on(Named, (event) => {
      if (event.name === 'placed') root.record('confirmed');
    });
    await flusher.dispatchAfterCommit([root]);
    expect(dispatched).toEqual(['placed', 'confirmed']);
    expect(written.map(({ names }) => names)).toEqual([['confirmed']]);
  });

  it('reports a failing listener as an AfterCommitError', async () => {
    const { dispatcher, flusher } = setup();
    dispatcher.on(Named, () => {
      throw new Error('listener broke');
    });
    await expect(flusher.dispatchAfterCommit([new Root().record('a')])).rejects.toBeInstanceOf(
      AfterCommitError,
    );
  });

  it('refuses what is not an EventsRoot', async () => {
    const { flusher } = setup();
    const tx = {} as InMemoryTransaction;
    await expect(flusher.writeBeforeCommit([{} as Root], tx)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(flusher.dispatchAfterCommit([{} as Root])).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
