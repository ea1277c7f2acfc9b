// `tidings/dispatcher` loads the dispatcher alone: walking the built module graph from its entry file
// (dist/esm/dispatcher.js) reaches only the dispatcher's files, the errors it throws and their helpers —
// no messaging, no deferred events, no adapter, no package (eventemitter3 included). And its classes are
// those of `tidings`: a dispatcher from one entry point and errors from the other mix.
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { assertBuilt, lastJsonLine, repoRoot, runNode } from './helpers.js';

const esm = join(repoRoot, 'dist', 'esm');

/** Every file the module graph of `entry` imports statically, and every bare specifier it names. */
function moduleGraph(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    // `import … from 'x'`, `export … from 'x'`, and side-effect imports (`import 'x'`).
    for (const match of source.matchAll(
      /(?:^|\n)\s*(?:(?:import|export)[^'"]*?from\s+|import\s+)['"]([^'"]+)['"]/g,
    )) {
      const specifier = match[1]!;
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier));
      else packages.add(specifier);
    }
    for (const match of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) packages.add(match[1]!);
  };
  visit(entry);
  return { files: [...files].map((file) => relative(esm, file)).sort(), packages: [...packages].sort() };
}

beforeAll(() => assertBuilt());

it('imports only the dispatcher, its errors and their helpers', () => {
  const { files, packages } = moduleGraph(join(esm, 'dispatcher.js'));
  expect(files.filter((file) => !/^(dispatcher\.js|dispatcher\/|errors\/|internal\/)/.test(file))).toEqual(
    [],
  );
  expect(files.filter((file) => file.startsWith('internal/'))).toEqual([
    'internal/options.js',
    'internal/redact.js',
  ]);
  // Not even reflect-metadata: the polyfill took longer to import than the whole dispatcher.
  expect(packages.filter((name) => !name.startsWith('node:'))).toEqual([]);
  expect(moduleGraph(join(esm, 'index.js')).packages).toContain('reflect-metadata');
  // The whole of `tidings` is several times larger: that is what this entry point saves.
  expect(moduleGraph(join(esm, 'index.js')).files.length).toBeGreaterThan(3 * files.length);
});

it('shares its classes with `tidings`, in both module systems', async () => {
  const script = (load: string) => `
    ${load}
    const dispatcher = new d.EventDispatcher();
    let caught;
    try { dispatcher.on('', () => {}); } catch (error) { caught = error; }
    console.log(JSON.stringify({
      sameDispatcher: d.EventDispatcher === t.EventDispatcher,
      sameEvent: d.Event === t.Event,
      errorIsShared: caught instanceof t.InvalidArgumentError,
    }));`;
  const expected = { sameDispatcher: true, sameEvent: true, errorIsShared: true };
  const esmRun = await runNode([
    '--input-type=module',
    '-e',
    script("const d = await import('tidings/dispatcher'); const t = await import('tidings');"),
  ]);
  expect(lastJsonLine(esmRun)).toEqual(expected);
  const cjsRun = await runNode([
    '-e',
    script("const d = require('tidings/dispatcher'); const t = require('tidings');"),
  ]);
  expect(lastJsonLine(cjsRun)).toEqual(expected);
});
