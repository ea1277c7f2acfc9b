// `tidings/dispatcher` loads the dispatcher alone: walking the built module graph from its entry file
// (dist/esm/dispatcher.js, a bundle importing shared chunks) reaches only the code of the dispatcher's
// files, the errors it throws and their helpers — no messaging, no deferred events, no adapter, no
// package (eventemitter3 included). Which src/ files a chunk holds, its source map says. And its classes
// are those of `tidings`: a dispatcher from one entry point and errors from the other mix.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { assertBuilt, lastJsonLine, repoRoot, runNode } from './helpers.js';

const esm = join(repoRoot, 'dist', 'esm');
const src = join(repoRoot, 'src');

/**
 * The src/ files whose code the module graph of `entry` loads (from the source map of each file it
 * imports statically), how many module files that is, and every bare specifier the graph names.
 */
function moduleGraph(entry: string): { sources: string[]; files: number; packages: string[] } {
  const files = new Set<string>();
  const sources = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
    for (const source of map.sources) sources.add(relative(src, join(dirname(file), source)));
    const code = readFileSync(file, 'utf8');
    // `import … from 'x'`, `export … from 'x'`, and side-effect imports (`import 'x'`).
    for (const match of code.matchAll(
      /(?:^|\n)\s*(?:(?:import|export)[^'"]*?from\s+|import\s+)['"]([^'"]+)['"]/g,
    )) {
      const specifier = match[1]!;
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier));
      else packages.add(specifier);
    }
    for (const match of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) packages.add(match[1]!);
  };
  visit(entry);
  return { sources: [...sources].sort(), files: files.size, packages: [...packages].sort() };
}

beforeAll(() => assertBuilt());

it('imports only the dispatcher, its errors and their helpers', () => {
  const { sources, files, packages } = moduleGraph(join(esm, 'dispatcher.js'));
  expect(sources).toContain('dispatcher/event-dispatcher.ts');
  expect(sources.filter((file) => !/^(dispatcher\/|errors\/|internal\/)/.test(file))).toEqual([]);
  expect(sources.filter((file) => file.startsWith('internal/'))).toEqual([
    'internal/options.ts',
    'internal/redact.ts',
  ]);
  // Not even reflect-metadata: the polyfill took longer to import than the whole dispatcher.
  expect(packages.filter((name) => !name.startsWith('node:'))).toEqual([]);
  const whole = moduleGraph(join(esm, 'index.js'));
  expect(whole.packages).toContain('reflect-metadata');
  // The whole of `tidings` is several times larger: that is what this entry point saves.
  expect(whole.sources.length).toBeGreaterThan(3 * sources.length);
  // Bundled: a handful of module files for the dispatcher's 18 (the ES module loader's cost is per file).
  expect(files).toBeLessThanOrEqual(4);
});

it('ships no empty module file (each costs the loader as much as one with code)', () => {
  const empty = readdirSync(esm, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.js'))
    .filter((file) => {
      const code = readFileSync(join(esm, file), 'utf8');
      return code.replace(/^\/\/# sourceMappingURL=.*$/m, '').trim() === '';
    });
  expect(empty).toEqual([]);
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
