// Smoke test of the BUILT package (dist/), loaded the way users load it: `import 'tidings'` and
// `require('tidings')` from the repository root, which Node resolves through package.json "exports"
// (self-reference). `npm test` builds first; run `npm run build` before running this file alone.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import * as source from 'tidings';
import { assertBuilt, lastJsonLine, repoRoot, runNode } from './helpers.js';

interface SmokeResult {
  resolved: string;
  exports: string[];
  seen: string[];
  sameEvent: boolean;
  payload: unknown;
  asyncListenerError: boolean;
  flushed: string[];
}

// Plain JavaScript run by both module systems: `t` is the package namespace / exports object.
const smoke = `
async function smoke(t, resolved) {
  const { EventDispatcher, Event, Flusher, InMemoryUnitOfWork, AggregateRoot, AsyncListenerError } = t;
  class OrderPlaced extends Event {
    constructor(orderId) { super(); this.orderId = orderId; }
  }
  class Order extends AggregateRoot {
    constructor(id) { super(); this.id = id; }
    place() { this.recordEvent(new OrderPlaced(this.id)); }
  }
  const seen = [];
  const dispatcher = new EventDispatcher();
  dispatcher.on(OrderPlaced, (e) => { seen.push('low:' + e.orderId); });
  dispatcher.on(OrderPlaced, async (e) => { await null; seen.push('high:' + e.orderId); }, { priority: 10 });
  dispatcher.on(OrderPlaced, (e) => { seen.push('stop:' + e.orderId); e.stopPropagation(); }, { priority: 5 });
  const event = new OrderPlaced('o-1');
  const dispatched = await dispatcher.dispatch(event);

  let payload;
  dispatcher.once('user.login', (p) => { payload = p; });
  dispatcher.dispatchSync('user.login', { userId: 'u-1' });

  let asyncListenerError = false;
  dispatcher.on('sync.only', async () => {});
  try { dispatcher.dispatchSync('sync.only'); } catch (error) { asyncListenerError = error instanceof AsyncListenerError; }

  const flushed = [];
  const later = new EventDispatcher();
  later.on(OrderPlaced, (e) => { flushed.push(e.orderId); });
  const flusher = new Flusher({ dispatcher: later, unitOfWork: new InMemoryUnitOfWork() });
  const order = new Order('o-2');
  order.place();
  await flusher.flush(order);

  return {
    resolved,
    exports: Object.keys(t).filter((key) => key !== 'default' && key !== '__esModule').sort(),
    seen,
    sameEvent: dispatched === event,
    payload,
    asyncListenerError,
    flushed,
  };
}
`;

const esmScript = `import * as t from 'tidings';
${smoke}
console.log(JSON.stringify(await smoke(t, import.meta.resolve('tidings'))));`;

const cjsScript = `const t = require('tidings');
${smoke}
smoke(t, require.resolve('tidings')).then((result) => console.log(JSON.stringify(result)));`;

function expectDispatchWorked(result: SmokeResult): void {
  // Priority order, awaiting the async listener, then stopPropagation() keeps 'low' from running.
  expect(result.seen).toEqual(['high:o-1', 'stop:o-1']);
  expect(result.sameEvent).toBe(true);
  expect(result.payload).toEqual({ userId: 'u-1' });
  expect(result.asyncListenerError).toBe(true);
  expect(result.flushed).toEqual(['o-2']);
}

describe('the built package', () => {
  let esm: SmokeResult;
  let cjs: SmokeResult;

  beforeAll(async () => {
    assertBuilt();
    const [esmOut, cjsOut] = await Promise.all([
      runNode(['--input-type=module', '-e', esmScript]),
      runNode(['--input-type=commonjs', '-e', cjsScript]),
    ]);
    esm = lastJsonLine(esmOut);
    cjs = lastJsonLine(cjsOut);
  }, 30_000);

  test('import resolves to dist/esm and dispatches', () => {
    expect(esm.resolved).toMatch(/\/dist\/esm\/index\.js$/);
    expectDispatchWorked(esm);
  });

  test('require resolves to dist/cjs and dispatches', () => {
    expect(cjs.resolved).toBe(join(repoRoot, 'dist/cjs/index.js'));
    expectDispatchWorked(cjs);
  });

  test('both builds export the same names as src/index.ts', () => {
    expect(esm.exports).toEqual(cjs.exports);
    expect(esm.exports, 'dist/ is stale: run `npm run build`').toEqual(Object.keys(source).sort());
    expect(esm.exports).toEqual(expect.arrayContaining(['EventDispatcher', 'OnEvent', 'Flusher']));
  });
});

describe('package.json', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    main: string;
    module: string;
    types: string;
    exports: Record<string, Record<string, Record<string, string>> | string>;
  };

  test('the exports map lists `types` first in both conditions, and every file exists', () => {
    assertBuilt();
    const root = pkg.exports['.'];
    expect(typeof root).toBe('object');
    const conditions = root as Record<string, Record<string, string>>;
    expect(Object.keys(conditions)).toEqual(['import', 'require']);
    for (const condition of ['import', 'require'] as const) {
      const entry = conditions[condition]!;
      expect(Object.keys(entry)[0], `exports["."].${condition}`).toBe('types');
      expect(Object.keys(entry)).toEqual(['types', 'default']);
      for (const file of Object.values(entry)) {
        expect(existsSync(join(repoRoot, file)), `${file} (exports["."].${condition})`).toBe(true);
      }
    }
    expect(conditions.import!.default).toMatch(/^\.\/dist\/esm\//);
    expect(conditions.require!.default).toMatch(/^\.\/dist\/cjs\//);
  });

  test('main, module and types exist; dist/cjs is marked CommonJS', () => {
    assertBuilt();
    for (const file of [pkg.main, pkg.module, pkg.types]) {
      expect(existsSync(join(repoRoot, file)), file).toBe(true);
    }
    const marker = JSON.parse(readFileSync(join(repoRoot, 'dist/cjs/package.json'), 'utf8')) as unknown;
    expect(marker).toEqual({ type: 'commonjs' });
  });
});
