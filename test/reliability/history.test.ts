// The checker decides whether a reliability run passed: it must itself catch each kind of anomaly.
import { describe, expect, it } from 'vitest';
import { History } from './history.js';

describe('History.check', () => {
  it('a clean run: every ok id received once', () => {
    const history = new History();
    for (const id of ['a', 'b', 'c']) history.record(id, 'ok');
    for (const id of ['a', 'b', 'c']) history.receive(id);
    expect(history.check()).toMatchObject({
      attempted: 3,
      ok: 3,
      received: 3,
      receipts: 3,
      lost: [],
      phantom: [],
      recovered: 0,
      duplicated: 0,
    });
    expect(history.allOkReceived).toBe(true);
  });

  it('an ok id never received is lost', () => {
    const history = new History();
    history.record('a', 'ok');
    history.record('b', 'ok');
    history.receive('a');
    expect(history.check().lost).toEqual(['b']);
    expect(history.allOkReceived).toBe(false);
    expect(history.pending).toEqual(['b']);
  });

  it('a received id that was rolled back, nacked or never attempted is a phantom', () => {
    const history = new History();
    history.record('rolled-back', 'failed');
    history.receive('rolled-back');
    history.receive('never-attempted');
    expect(history.check().phantom.sort()).toEqual(['never-attempted', 'rolled-back']);
  });

  it('unknown outcomes: received ones are recovered, the others are allowed to be missing', () => {
    const history = new History();
    history.record('timed-out', 'unknown');
    history.record('connection-lost', 'unknown');
    history.attempt('crashed-mid-call'); // never settled: unknown
    history.receive('timed-out');
    history.receive('crashed-mid-call');
    expect(history.check()).toMatchObject({ unknown: 3, recovered: 2, unknownNotReceived: 1, lost: [] });
  });

  it('counts duplicated ids and extra copies', () => {
    const history = new History();
    history.record('a', 'ok');
    history.record('b', 'ok');
    for (const id of ['a', 'a', 'a', 'b', 'b']) history.receive(id);
    expect(history.check()).toMatchObject({ duplicated: 2, duplicateCopies: 3, received: 2, receipts: 5 });
  });

  it('a retry that is confirmed turns an unknown outcome into ok, and a later unknown does not undo it', () => {
    const history = new History();
    history.attempt('a');
    history.settle('a', 'unknown');
    history.settle('a', 'ok');
    history.settle('a', 'unknown');
    expect(history.check()).toMatchObject({ ok: 1, unknown: 0, lost: ['a'] });
  });

  it('refuses a history that contradicts itself', () => {
    const history = new History();
    history.record('a', 'failed');
    expect(() => history.settle('a', 'ok')).toThrow(/failed definitely/);
    expect(() => history.attempt('a')).toThrow(/attempted twice/);
    expect(() => history.settle('never', 'ok')).toThrow(/never attempted/);
  });
});
