// Proves that the TypeScript we depend on emits `design:paramtypes` for legacy decorators, and that the
// tsc-built dist reads it: test/fixtures/dist-subscriber.{ts,cts} use `@OnEvent()` without a class, are
// compiled by the real tsc into a fresh dir under test/.tmp, and run with node against dist/ through the
// package's "exports". A control build without emitDecoratorMetadata must fail to register.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { assertBuilt, lastJsonLine, repoRoot, runNode } from './helpers.js';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const fixtures = ['test/fixtures/dist-subscriber.ts', 'test/fixtures/dist-subscriber.cts'];

async function compile(outDir: string, emitDecoratorMetadata: boolean): Promise<void> {
  const args = [
    tsc,
    '--experimentalDecorators',
    ...(emitDecoratorMetadata ? ['--emitDecoratorMetadata'] : []),
    '--module',
    'nodenext',
    '--moduleResolution',
    'nodenext',
    '--target',
    'es2022',
    '--strict',
    '--skipLibCheck',
    '--removeComments',
    '--pretty',
    'false',
    '--rootDir',
    'test/fixtures',
    '--outDir',
    outDir,
    ...fixtures,
  ];
  try {
    await promisify(execFile)(process.execPath, args, { cwd: repoRoot, timeout: 60_000 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`tsc failed on the fixtures:\n${stdout ?? ''}${stderr ?? ''}`, { cause: error });
  }
}

describe('legacy @OnEvent() with tsc-emitted decorator metadata, against dist/', () => {
  let tmp: string;
  let withMetadata: string;
  let withoutMetadata: string;

  beforeAll(async () => {
    assertBuilt();
    mkdirSync(join(repoRoot, 'test/.tmp'), { recursive: true });
    tmp = mkdtempSync(join(repoRoot, 'test/.tmp/decorator-metadata-'));
    withMetadata = join(tmp, 'metadata');
    withoutMetadata = join(tmp, 'no-metadata');
    await Promise.all([compile(withMetadata, true), compile(withoutMetadata, false)]);
  }, 30_000);

  afterAll(() => {
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  });

  test('tsc emits design:paramtypes for the decorated methods', () => {
    const esm = readFileSync(join(withMetadata, 'dist-subscriber.js'), 'utf8');
    expect(esm).toContain('__metadata("design:paramtypes", [OrderPlaced])');
    expect(esm).toContain('__metadata("design:paramtypes", [OrderShipped])');
    expect(esm).toMatch(/from 'tidings'|from "tidings"/);
    const cjs = readFileSync(join(withMetadata, 'dist-subscriber.cjs'), 'utf8');
    expect(cjs).toContain('__metadata("design:paramtypes", [OrderPlaced])');
    expect(cjs).toMatch(/require\("tidings"\)/);
    expect(readFileSync(join(withoutMetadata, 'dist-subscriber.js'), 'utf8')).not.toContain('design:');
  });

  test('the ES module build registers the listeners from the metadata', async () => {
    const url = pathToFileURL(join(withMetadata, 'dist-subscriber.js')).href;
    const stdout = await runNode([
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(url)});
       console.log(JSON.stringify({ ...(await m.main()), resolved: import.meta.resolve('tidings') }));`,
    ]);
    expect(lastJsonLine(stdout)).toEqual({
      received: ['placed:o-1', 'shipped:t-1'],
      listeners: { placed: ['Mailer.onPlaced'], shipped: ['Mailer.onShipped@10'] },
      sameEvent: true,
      resolved: pathToFileURL(join(repoRoot, 'dist/esm/index.js')).href,
    });
  });

  test('the CommonJS build registers the listener from the metadata', async () => {
    const file = join(withMetadata, 'dist-subscriber.cjs');
    const stdout = await runNode([
      '--input-type=commonjs',
      '-e',
      `require(${JSON.stringify(file)}).main().then((r) =>
         console.log(JSON.stringify({ ...r, resolved: require.resolve('tidings') })));`,
    ]);
    expect(lastJsonLine(stdout)).toEqual({
      received: ['placed:o-1'],
      listeners: ['Mailer.onPlaced'],
      resolved: join(repoRoot, 'dist/cjs/index.js'),
    });
  });

  test('control: without emitDecoratorMetadata, @OnEvent() cannot find the event class', async () => {
    const url = pathToFileURL(join(withoutMetadata, 'dist-subscriber.js')).href;
    await expect(
      runNode(['--input-type=module', '-e', `await (await import(${JSON.stringify(url)})).main();`]),
    ).rejects.toThrow(/SubscriberDefinitionError.*no design:paramtypes metadata/);
  });
});
