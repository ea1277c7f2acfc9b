// Node keeps every AsyncLocalStorage for the life of the process and every later promise pays for each:
// a Flusher or unit of work per request must not create one each. Counted in a fresh process, with the
// constructor wrapped before the built package loads.
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, lastJsonLine, runNode } from './helpers.js';

const SCRIPT = `
import asyncHooks from 'node:async_hooks';
import { syncBuiltinESMExports } from 'node:module';
let created = 0;
const Original = asyncHooks.AsyncLocalStorage;
asyncHooks.AsyncLocalStorage = class extends Original {
  constructor(...args) { super(...args); created++; }
};
syncBuiltinESMExports();
const { EventDispatcher, Flusher, InMemoryUnitOfWork } = await import('tidings');
const { PgUnitOfWork } = await import('tidings/postgres');
const before = created;
const pool = { connect() { throw new Error('not used'); }, query() { throw new Error('not used'); } };
for (let i = 0; i < 100; i++) {
  const flusher = new Flusher({ dispatcher: new EventDispatcher(), unitOfWork: new InMemoryUnitOfWork() });
  await flusher.transaction(async () => []);
  new PgUnitOfWork({ pool });
}
console.log(JSON.stringify({ atLoad: before, after: created }));
`;

describe('async context', () => {
  beforeAll(() => assertBuilt());

  it('100 Flushers and units of work share the library’s one AsyncLocalStorage', async () => {
    const counts = lastJsonLine<{ atLoad: number; after: number }>(
      await runNode(['--input-type=module', '-e', SCRIPT]),
    );
    expect(counts.atLoad).toBe(1); // the wrapper sees the library's own: the count is real
    expect(counts.after).toBe(counts.atLoad);
  });
});
