// Smoke test of the BUILT package (dist/), loaded the way users load it: `import 'tidings'` and
// `require('tidings')` from the repository root, which Node resolves through package.json "exports"
// (self-reference). `npm test` builds first; run `npm run build` before running this file alone.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import * as source from 'tidings';
import * as postgresSource from 'tidings/postgres';
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

// tidings/postgres: its names, where it resolved, and that its classes work with the core's (one copy of
// the shared modules per module system). No database: nothing here connects.
const postgresSmoke = `
async function postgresSmoke(t, p, resolved) {
  const pool = { connect() { throw new Error('not used'); }, query() { throw new Error('not used'); } };
  const unitOfWork = new p.PgUnitOfWork({ pool });
  const flusher = new t.Flusher({ dispatcher: new t.EventDispatcher(), unitOfWork });
  return {
    resolved,
    exports: Object.keys(p).filter((key) => key !== 'default' && key !== '__esModule').sort(),
    flusher: flusher instanceof t.Flusher,
    schema: p.pgOutboxSchemaSql({ table: 'smoke_outbox' }).includes('smoke_outbox'),
  };
}
`;

const esmPostgresScript = `import * as t from 'tidings';
import * as p from 'tidings/postgres';
${postgresSmoke}
console.log(JSON.stringify(await postgresSmoke(t, p, import.meta.resolve('tidings/postgres'))));`;

const cjsPostgresScript = `const t = require('tidings');
const p = require('tidings/postgres');
${postgresSmoke}
postgresSmoke(t, p, require.resolve('tidings/postgres')).then((result) => console.log(JSON.stringify(result)));`;

interface PostgresSmokeResult {
  resolved: string;
  exports: string[];
  flusher: boolean;
  schema: boolean;
}

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

  test('the PostgreSQL parts are in tidings/postgres only', () => {
    expect(esm.exports.filter((name) => /^pg|^Pg|Archive/.test(name))).toEqual([]);
  });
});

describe('the built tidings/postgres', () => {
  let esm: PostgresSmokeResult;
  let cjs: PostgresSmokeResult;

  beforeAll(async () => {
    assertBuilt();
    const [esmOut, cjsOut] = await Promise.all([
      runNode(['--input-type=module', '-e', esmPostgresScript]),
      runNode(['--input-type=commonjs', '-e', cjsPostgresScript]),
    ]);
    esm = lastJsonLine(esmOut);
    cjs = lastJsonLine(cjsOut);
  }, 30_000);

  test('import resolves to dist/esm, require to dist/cjs, and both work with the core', () => {
    expect(esm.resolved).toMatch(/\/dist\/esm\/postgres\.js$/);
    expect(cjs.resolved).toBe(join(repoRoot, 'dist/cjs/postgres.js'));
    for (const result of [esm, cjs]) {
      expect(result.flusher).toBe(true);
      expect(result.schema).toBe(true);
    }
  });

  test('both builds export the same names as src/postgres.ts', () => {
    expect(esm.exports).toEqual(cjs.exports);
    expect(esm.exports, 'dist/ is stale: run `npm run build`').toEqual(Object.keys(postgresSource).sort());
    expect(esm.exports).toEqual(expect.arrayContaining(['PgUnitOfWork', 'PgOutbox', 'PgInbox']));
  });
});

describe('package.json', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    main: string;
    module: string;
    types: string;
    exports: Record<string, Record<string, Record<string, string>> | string>;
    typesVersions: Record<string, Record<string, string[]>>;
    files: string[];
    scripts: Record<string, string>;
  };
  const entryPoints = Object.keys(pkg.exports).filter((key) => key !== './package.json');

  test('every entry point lists `types` first in both conditions, and every file exists', () => {
    assertBuilt();
    expect(entryPoints).toEqual(expect.arrayContaining(['.', './postgres']));
    for (const entryPoint of entryPoints) {
      const root = pkg.exports[entryPoint];
      expect(typeof root).toBe('object');
      const conditions = root as Record<string, Record<string, string>>;
      expect(Object.keys(conditions)).toEqual(['import', 'require']);
      for (const condition of ['import', 'require'] as const) {
        const entry = conditions[condition]!;
        const where = `exports["${entryPoint}"].${condition}`;
        expect(Object.keys(entry), where).toEqual(['types', 'default']);
        for (const file of Object.values(entry)) {
          expect(existsSync(join(repoRoot, file)), `${file} (${where})`).toBe(true);
        }
      }
      expect(conditions.import!.default).toMatch(/^\.\/dist\/esm\//);
      expect(conditions.require!.default).toMatch(/^\.\/dist\/cjs\//);
    }
  });

  // Each export as `name: kind`, a function's own `.name` included: the ES module build is a bundle, and a
  // bundler renames a top-level name that two modules share (error classes and `describeListeners()`
  // print these names); the CommonJS build is tsc's, which renames nothing.
  test('every entry point loads as an ES module and as CommonJS, with the same exports and names', async () => {
    assertBuilt();
    const specifiers = entryPoints.map((entryPoint) => `tidings${entryPoint.slice(1)}`);
    const describe = `const describe = (m) => Object.keys(m).filter((k) => k !== 'default').sort()
      .map((k) => typeof m[k] === 'function' ? k + ': function ' + m[k].name : k + ': ' + typeof m[k]);`;
    const esm = await runNode([
      '--input-type=module',
      '-e',
      `${describe} const loaded = {};
       for (const s of ${JSON.stringify(specifiers)}) loaded[s] = describe(await import(s));
       console.log(JSON.stringify(loaded));`,
    ]);
    const cjs = await runNode([
      '-e',
      `${describe} const loaded = {};
       for (const s of ${JSON.stringify(specifiers)}) loaded[s] = describe(require(s));
       console.log(JSON.stringify(loaded));`,
    ]);
    const asModules = lastJsonLine<Record<string, string[]>>(esm);
    expect(Object.keys(asModules)).toEqual(specifiers);
    for (const [specifier, exports] of Object.entries(asModules))
      expect(exports.length, specifier).toBeGreaterThan(0);
    expect(asModules).toEqual(lastJsonLine<Record<string, string[]>>(cjs));
    expect(asModules['tidings']).toContain('InvalidArgumentError: function InvalidArgumentError');
  });

  test('typesVersions maps each subpath for moduleResolution node10, to the declarations `types` is in', () => {
    // node10 resolution ignores "exports": it reads `types` for `tidings`, `typesVersions` for the rest.
    // Both from the same declaration files, or a class would have two incompatible declarations.
    expect(pkg.types).toMatch(/^\.\/dist\/esm\//);
    const expected = Object.fromEntries(
      entryPoints
        .filter((entryPoint) => entryPoint !== '.')
        .map((entryPoint) => {
          const conditions = pkg.exports[entryPoint] as Record<string, Record<string, string>>;
          return [entryPoint.slice(2), [conditions.import!.types!]];
        }),
    );
    expect(pkg.typesVersions).toEqual({ '*': expected });
  });

  test('main, module and types exist; dist/cjs is marked CommonJS', () => {
    assertBuilt();
    for (const file of [pkg.main, pkg.module, pkg.types]) {
      expect(existsSync(join(repoRoot, file)), file).toBe(true);
    }
    const marker = JSON.parse(readFileSync(join(repoRoot, 'dist/cjs/package.json'), 'utf8')) as unknown;
    expect(marker).toEqual({ type: 'commonjs' });
  });

  test('the package ships the license, and `npm pack` builds first', () => {
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'LICENSE', 'README.md']));
    expect(existsSync(join(repoRoot, 'LICENSE'))).toBe(true);
    expect(pkg.scripts['prepack']).toBe('npm run build');
  });
});
