// The package as a user gets it: `npm pack` of the built package (the dist/ this run built), installed from
// the tarball into new projects in the OS temp directory, compiled by tsc with `strict` and
// `skipLibCheck: false`, and run with node:
// - `tidings` in a project WITHOUT amqplib, ioredis, pg, @types/pg and @opentelemetry/api (optional peers):
//   it must compile and run without them — dispatch, flush, and the bridge on the in-memory transport;
// - `tidings/rabbitmq`, `tidings/postgres` and `tidings/redis` in a project with the drivers.
// Each program is compiled as an ES module and as CommonJS with module nodenext (the "import" and "require"
// conditions of "exports"), and as CommonJS with module commonjs + moduleResolution node10 (which reads
// `types` and `typesVersions` instead). npm installs from the registry or its cache (--prefer-offline, at
// the versions this repository's lock installed); no broker or database is needed. The temp directory is
// removed at the end. `npm test` builds first; alone, run `npm run build` before.
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { assertBuilt, lastJsonLine, repoRoot } from './helpers.js';

const execFileAsync = promisify(execFile);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** The version of a package this repository installed (its lock), so that npm finds it in its cache. */
function installed(name: string): string {
  const { version } = JSON.parse(
    readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8'),
  ) as {
    version: string;
  };
  return `${name}@${version}`;
}

/**
 * The environment of the child processes. An `npm test` run exports npm_* variables (npm_config_prefix,
 * npm_config_local_prefix…) that would point npm at this repository: only the user's own npm settings
 * (cache, config files, registry, proxy, TLS) are passed on.
 */
function childEnv(): NodeJS.ProcessEnv {
  const keep =
    /^npm_config_(cache|userconfig|globalconfig|registry|proxy|https_proxy|noproxy|strict_ssl|cafile)$/i;
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => name !== 'NODE_OPTIONS' && (!/^npm_/i.test(name) || keep.test(name)),
    ),
  );
}

async function run(file: string, args: readonly string[], cwd: string, timeout = 60_000): Promise<string> {
  try {
    const { stdout } = await execFileAsync(file, [...args], {
      cwd,
      env: childEnv(),
      timeout,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`${[file, ...args].join(' ').slice(0, 300)} failed:\n${stdout ?? ''}${stderr ?? ''}`, {
      cause: error,
    });
  }
}

const npm = (args: readonly string[], cwd: string) =>
  run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['--no-audit', '--no-fund', ...args], cwd, 120_000);

/**
 * Compiles tsconfigs of the temp project, in one tsc process (build mode: @types/node, parsed once, is
 * the bulk of the work with skipLibCheck off); a type error fails with tsc's report.
 */
const compile = (project: string, tsconfigs: readonly string[]) =>
  run(process.execPath, [tsc, '--build', ...tsconfigs, '--pretty', 'false'], project);

// The consumer's tsconfigs: strict, and the library's declarations type-checked (skipLibCheck: false).
const strictOptions = {
  target: 'es2022',
  lib: ['es2022'],
  strict: true,
  skipLibCheck: false,
  noUncheckedIndexedAccess: true,
  noEmitOnError: true,
  esModuleInterop: true,
};
/** Where each build of a program lands, and how it resolves `tidings`. */
const builds = [
  // nodenext: the .mts is an ES module and takes the "import" condition of "exports" (dist/esm), the .cts
  // is CommonJS and takes the "require" condition (dist/cjs).
  { outDir: 'nodenext', module: 'nodenext', moduleResolution: 'nodenext', extensions: ['mts', 'cts'] },
  // CommonJS the old way: node10 resolution reads `types` and `typesVersions`, not "exports".
  { outDir: 'node10', module: 'commonjs', moduleResolution: 'node10', extensions: ['cts'] },
] as const;
const outputs = { mts: 'mjs', cts: 'cjs' } as const;

/** Ends each program: prints what `main()` returns and where the entry point under test resolved. */
const footer = `main().then(
  (result) => console.log(JSON.stringify({ ...result, resolved })),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
`;

/**
 * Writes `<name>.mts` and `<name>.cts` from one body, compiles them in every build, runs each output;
 * returns what each printed, by `<build>/<file>`.
 */
async function compileAndRun(
  project: string,
  name: string,
  body: string,
  entry: string,
): Promise<Record<string, unknown>> {
  writeFileSync(
    join(project, `${name}.mts`),
    `${body}\nconst resolved = import.meta.resolve('${entry}');\n${footer}`,
  );
  writeFileSync(
    join(project, `${name}.cts`),
    `${body}\nconst resolved = require.resolve('${entry}');\n${footer}`,
  );
  const tsconfigs = builds.map(({ extensions, ...options }) => {
    const tsconfig = `tsconfig.${options.outDir}.json`;
    const files = extensions.map((extension) => `${name}.${extension}`);
    const compilerOptions = { ...strictOptions, ...options };
    writeFileSync(join(project, tsconfig), JSON.stringify({ compilerOptions, files }, null, 2));
    return tsconfig;
  });
  await compile(project, tsconfigs);
  const programs = builds.flatMap(({ outDir, extensions }) =>
    extensions.map((extension) => `${outDir}/${name}.${outputs[extension]}`),
  );
  const printed = await Promise.all(
    programs.map((program) => run(process.execPath, [join(project, program)], project)),
  );
  return Object.fromEntries(programs.map((program, i) => [program, lastJsonLine(printed[i]!)]));
}

// Dispatch, then a Bridge round trip over the memory transport: forwarded by one dispatcher, consumed
// into another, then everything closed (the process must exit on its own).
const coreProgram = `import {
  Bridge,
  EventDispatcher,
  Flusher,
  InMemoryUnitOfWork,
  MemoryTransport,
  AggregateRoot,
  type SettledOutcome,
} from 'tidings';

class OrderPlaced {
  static readonly eventName = 'order.placed';
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {}
}

class Order extends AggregateRoot {
  place(orderId: string, total: number): void {
    this.recordEvent(new OrderPlaced(orderId, total));
  }
}

async function main(): Promise<{ seen: string[] }> {
  const seen: string[] = [];
  const shop = new EventDispatcher();
  shop.on(OrderPlaced, (event) => void seen.push(\`local \${event.orderId}\`), { priority: 10 });
  const transport = new MemoryTransport();
  const shopBridge = new Bridge({ dispatcher: shop, transport, appId: 'shop' });
  shopBridge.forward(OrderPlaced, { routingKey: 'order.placed' });

  const billing = new EventDispatcher();
  const consumed = new Promise<OrderPlaced>((resolve) => billing.once(OrderPlaced, resolve));
  const billingBridge = new Bridge({ dispatcher: billing, transport, appId: 'billing' });
  billingBridge.consume({ queue: 'billing.orders', bindingKeys: ['order.placed'], events: { 'order.placed': OrderPlaced } });
  const settled = new Promise<SettledOutcome>((resolve) => billingBridge.once('settled', resolve));
  await billingBridge.start();

  // Recorded, then released by the flusher once the (in-memory) unit of work committed.
  const flusher = new Flusher({ dispatcher: shop, unitOfWork: new InMemoryUnitOfWork() });
  const order = new Order();
  order.place('o-1', 42);
  await flusher.flush(order);
  const event = await consumed;
  const { outcome, queue, attempt } = await settled;
  seen.push(\`consumed \${event.orderId} \${event.total} \${event instanceof OrderPlaced}\`);
  seen.push(\`\${outcome} from \${queue} at attempt \${attempt}\`);
  await billingBridge.close();
  await shopBridge.close();
  await transport.close();
  return { seen };
}
`;

// The driver entry points next to the core one: a PgUnitOfWork is a UnitOfWork for the core's Flusher,
// the archive takes the core's transport, an AmqpTransport and a RedisRepeatCounter are what the core's
// Bridge takes. Nothing connects (pg.Pool connects on the first query, the others on connect()).
const postgresProgram = `import pg from 'pg';
import { Redis } from 'ioredis';
import { AmqpTransport, createTransport } from 'tidings/rabbitmq';
import { RedisRepeatCounter } from 'tidings/redis';
import { EventDispatcher, Flusher, MemoryTransport, TransactionStateError, type UnitOfWork } from 'tidings';
import {
  PgDeadLetterArchive,
  PgInbox,
  PgOutbox,
  PgUnitOfWork,
  pgDeadLetterArchiveSchemaSql,
  pgInboxSchemaSql,
  pgOutboxSchemaSql,
  type PgOutboxOptions,
} from 'tidings/postgres';

async function main(): Promise<Record<string, unknown>> {
  const pool = new pg.Pool({ connectionString: 'postgresql://nobody@127.0.0.1:9/none' });
  const unitOfWork: UnitOfWork<pg.PoolClient> = new PgUnitOfWork({ pool });
  const flusher = new Flusher({ dispatcher: new EventDispatcher(), unitOfWork });
  const options: PgOutboxOptions = { pool, table: 'orders_outbox' };
  const outbox = new PgOutbox(options);
  const transport = new MemoryTransport();
  const archive = new PgDeadLetterArchive({ pool, transport, appId: 'billing' });
  const result = {
    flusher: flusher instanceof Flusher,
    outbox: outbox instanceof PgOutbox,
    inbox: new PgInbox({ pool }) instanceof PgInbox,
    archive: archive instanceof PgDeadLetterArchive,
    outboxSql: pgOutboxSchemaSql({ table: 'orders_outbox' }).includes('orders_outbox'),
    archiveSql: pgDeadLetterArchiveSchemaSql().includes('CREATE TABLE'),
    inboxSql: pgInboxSchemaSql().includes('CREATE TABLE'),
    error: new TransactionStateError('x').code,
    amqp: new AmqpTransport({ url: 'amqp://127.0.0.1:9' }) instanceof AmqpTransport,
    chosen: createTransport({ broker: 'memory' }) instanceof MemoryTransport,
    redis: new RedisRepeatCounter({ redis: new Redis({ lazyConnect: true }) }) instanceof RedisRepeatCounter,
  };
  await transport.close();
  await pool.end();
  return result;
}
`;

/** Every module a declaration file refers to: imports, re-exports, `import()` types, `reference types`. */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const pattern = /(?:from\s+|import\s*\(\s*|import\s+|<reference\s+types=)['"]([^'"]+)['"]/g;
  return [...text.matchAll(pattern)].map((match) => match[1]!);
}

/** The declaration files reachable from `entry` by relative imports, and the packages they import. */
function declarationClosure(entry: string): { files: string[]; packages: Set<string> } {
  const files = [entry];
  const packages = new Set<string>();
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    for (const specifier of specifiers(file)) {
      if (specifier.startsWith('.')) {
        const target = join(file, '..', specifier.replace(/\.js$/, '.d.ts'));
        if (!files.includes(target)) files.push(target);
      } else {
        packages.add(
          specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!,
        );
      }
    }
  }
  return { files, packages };
}

describe('the packed tarball, installed into a new project', () => {
  let tmp: string;
  let packed: string[];
  /** tidings alone: none of its optional peers (amqplib, ioredis, pg). */
  let core: string;
  /** tidings with the drivers: amqplib, ioredis, pg and @types/pg. */
  let postgres: string;
  /** What the programs printed, by output file: compiled and run in the background, awaited by the tests. */
  let coreRun: Promise<Record<string, unknown>>;
  let postgresRun: Promise<Record<string, unknown>>;

  beforeAll(async () => {
    assertBuilt();
    tmp = realpathSync(mkdtempSync(join(tmpdir(), 'tidings-packed-')));
    const packDir = join(tmp, 'pack');
    mkdirSync(packDir);
    // --ignore-scripts: pack the dist/ this run built; `prepack` would rebuild dist/ under the other tests.
    const [pack] = JSON.parse(
      await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], repoRoot),
    ) as [{ filename: string; files: { path: string }[] }];
    packed = pack.files.map((file) => file.path);
    const tarball = join(packDir, pack.filename);
    // @types/node is what a Node project has; the drivers are optional peers, installed only where used.
    const common = [tarball, installed('@types/node')];
    const install = async (name: string, packages: readonly string[]): Promise<string> => {
      const project = join(tmp, name);
      mkdirSync(project);
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({ name: `${name}-consumer`, private: true }),
      );
      await npm(['install', '--prefer-offline', '--ignore-scripts', ...packages], project);
      return project;
    };
    const coreReady = install('core', common);
    const drivers = ['amqplib', 'ioredis', 'pg', '@types/pg'].map(installed);
    const postgresReady = install('postgres', [...common, ...drivers]);
    // Each project compiles as soon as it is installed, while the other installs or compiles.
    coreRun = coreReady.then((project) => compileAndRun(project, 'core', coreProgram, 'tidings'));
    postgresRun = postgresReady.then((project) =>
      compileAndRun(project, 'postgres', postgresProgram, 'tidings/postgres'),
    );
    for (const result of [coreRun, postgresRun]) result.catch(() => {}); // reported by the tests
    [core, postgres] = await Promise.all([coreReady, postgresReady]);
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled([coreRun, postgresRun]);
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  }, 180_000);

  /** What `import` (a file URL) and `require` (a path) resolve `tidings/<entry>` to. */
  const resolvedTo = (project: string, entry: string) => ({
    esm: pathToFileURL(join(project, `node_modules/tidings/dist/esm/${entry}.js`)).href,
    cjs: join(project, `node_modules/tidings/dist/cjs/${entry}.js`),
  });

  test('the tarball holds dist/, LICENSE, README.md and package.json, and nothing of src/ or test/', () => {
    expect(packed.filter((file) => !file.startsWith('dist/')).sort()).toEqual([
      'LICENSE',
      'README.md',
      'package.json',
    ]);
    for (const file of ['index', 'rabbitmq', 'postgres', 'redis'].flatMap((e) => [`${e}.js`, `${e}.d.ts`])) {
      expect(packed).toContain(`dist/esm/${file}`);
      expect(packed).toContain(`dist/cjs/${file}`);
    }
    expect(packed).toContain('dist/cjs/package.json');
    expect(packed.filter((file) => file.endsWith('.d.ts.map'))).toEqual([]);
    expect(readFileSync(join(core, 'node_modules/tidings/LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
  });

  test('every shipped source map embeds the sources it names', () => {
    const dist = join(core, 'node_modules/tidings/dist');
    const maps = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((file) =>
      file.endsWith('.map'),
    );
    expect(maps.length).toBeGreaterThan(0);
    for (const file of maps) {
      const map = JSON.parse(readFileSync(join(dist, file), 'utf8')) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      expect(map.sourcesContent?.length, file).toBe(map.sources.length);
      for (const content of map.sourcesContent ?? []) expect(typeof content, file).toBe('string');
    }
  });

  test('the drivers are optional peers: not installed with tidings, and no declaration of `tidings` imports one', () => {
    for (const driver of ['amqplib', 'ioredis', 'pg', '@types/pg', '@opentelemetry/api']) {
      expect(existsSync(join(core, 'node_modules', driver)), driver).toBe(false);
    }
    const dist = join(core, 'node_modules/tidings/dist');
    for (const build of ['esm', 'cjs']) {
      const { packages } = declarationClosure(join(dist, build, 'index.d.ts'));
      for (const driver of ['amqplib', 'ioredis', 'pg', '@opentelemetry/api']) {
        expect([...packages], build).not.toContain(driver);
      }
      expect([...packages], build).toContain('eventemitter3'); // the walk does reach the imports
      expect([...declarationClosure(join(dist, build, 'postgres.d.ts')).packages], build).toContain('pg');
    }
  });

  test('`tidings` compiles (strict, skipLibCheck: false) and runs as ESM and CommonJS without any driver', async () => {
    const seen = ['local o-1', 'consumed o-1 42 true', 'acked from billing.orders at attempt 1'];
    const { esm, cjs } = resolvedTo(core, 'index');
    expect(await coreRun).toEqual({
      'nodenext/core.mjs': { seen, resolved: esm },
      'nodenext/core.cjs': { seen, resolved: cjs },
      'node10/core.cjs': { seen, resolved: cjs },
    });
  }, 120_000);

  test('`tidings/rabbitmq`, `/postgres` and `/redis` compile and run as ESM and CommonJS with the drivers', async () => {
    const expected = {
      flusher: true,
      outbox: true,
      inbox: true,
      archive: true,
      outboxSql: true,
      archiveSql: true,
      inboxSql: true,
      error: 'ERR_TIDINGS_TRANSACTION_STATE',
      amqp: true,
      chosen: true,
      redis: true,
    };
    const { esm, cjs } = resolvedTo(postgres, 'postgres');
    expect(await postgresRun).toEqual({
      'nodenext/postgres.mjs': { ...expected, resolved: esm },
      'nodenext/postgres.cjs': { ...expected, resolved: cjs },
      'node10/postgres.cjs': { ...expected, resolved: cjs },
    });
  }, 120_000);
});
