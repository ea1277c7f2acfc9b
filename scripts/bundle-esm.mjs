// The ES module build's JavaScript: esbuild bundles each entry point of package.json ("exports" and
// "bin") from src/, and code splitting puts every module reached from more than one entry point into a
// shared chunk, so each class exists once whichever entry points an application imports (a dispatcher
// from `tidings/dispatcher` and an error from `tidings` mix). Why bundle: Node's ES module loader costs
// about a millisecond per module file, and `tidings/dispatcher` is 18 modules; bundled, its import takes
// what eventemitter3's does (benchmarks/README.md, "Import time").
//
// Packages stay imports (amqplib, pg… are optional peers, loaded only by the entry points that use
// them). Nothing is minified, and every class keeps its name (`renamedClasses`; the dist tests also
// compare each export's name with the CommonJS build's). The source maps carry the sources, as tsc's did.
// The CommonJS build stays tsc's file-per-module output (CommonJS loads a file in a fraction of that time).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The src/ file of each ES module entry point package.json names, e.g. `src/dispatcher.ts`. */
export function esmEntryPoints(root) {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const targets = [
    // Subpaths with an "import" condition: "./package.json" maps to itself.
    ...Object.values(manifest.exports).flatMap((conditions) => conditions.import?.default ?? []),
    ...Object.values(manifest.bin),
  ];
  return targets.map((target) => {
    const match = /^\.\/dist\/esm\/(.+)\.js$/.exec(target);
    if (match === null) throw new Error(`bundle-esm: ${target} is not a file of dist/esm`);
    return join(root, 'src', `${match[1]}.ts`);
  });
}

/**
 * Bundles src/'s entry points into `outdir` as ES modules; throws on any esbuild error, and when the
 * bundle would change a class's name (`renamedClasses`).
 */
export function bundleEsm({ root, outdir, sourcemap }) {
  const esbuild = require('esbuild');
  const result = esbuild.buildSync({
    absWorkingDir: root,
    entryPoints: esmEntryPoints(root),
    outbase: join(root, 'src'),
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: sourcemap ? 'linked' : false,
    sourcesContent: true,
    chunkNames: 'chunks/[name]-[hash]',
    tsconfig: join(root, 'tsconfig.build.json'),
    logLevel: 'warning',
    write: false,
  });
  const classNames = sourceClassNames(join(root, 'src'));
  const renamed = result.outputFiles.flatMap((file) => renamedClasses(file.text, classNames));
  if (renamed.length > 0) {
    throw new Error(
      `bundle-esm: the bundle renames the classes ${renamed.join(', ')}, which changes their \`name\`. ` +
        'Two classes of one name in modules that end up in one chunk become `Name` and `Name2`: rename ' +
        'one. A class that names itself inside its body (a static member read as `Class.member`, ' +
        '`new Class()` in a static method) becomes `var Class = class _Class`: use a module-level ' +
        'constant, or `this` in a static method.',
    );
  }
  const empty = new Set(result.outputFiles.filter(isEmptyChunk).map((file) => file.path));
  for (const file of result.outputFiles) {
    if (empty.has(file.path) || empty.has(file.path.replace(/\.map$/, ''))) continue;
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, empty.size === 0 ? file.contents : withoutImportsOf(file, empty));
  }
}

/**
 * A chunk with no code: esbuild makes one for a module that only re-exports (src/dispatcher.ts, which
 * src/index.ts re-exports), and every entry point reaching it imports it for nothing — one more file
 * for the loader, which costs about as much as a file with code.
 */
function isEmptyChunk(file) {
  return file.path.endsWith('.js') && file.text.replace(/^\/\/# sourceMappingURL=.*$/m, '').trim() === '';
}

/** The file's code without its `import "./chunk.js";` of the empty chunks, each left as a blank line. */
function withoutImportsOf(file, empty) {
  if (!file.path.endsWith('.js')) return file.contents;
  return file.text.replace(/^import "(\.{1,2}\/[^"]+)";$/gm, (statement, specifier) =>
    empty.has(join(dirname(file.path), specifier)) ? '' : statement,
  );
}

/** The name of every class declared in src/ (`class Name`). */
function sourceClassNames(directory) {
  const names = new Set();
  for (const entry of readdirSync(directory, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const source = readFileSync(join(entry.parentPath ?? entry.path, entry.name), 'utf8');
    for (const match of source.matchAll(/\bclass ([A-Za-z_$][\w$]*)/g)) names.add(match[1]);
  }
  return names;
}

/**
 * Classes whose name the bundle changed. Without `keepNames` (which would wrap every named closure the
 * library creates in a `__name()` call, a cost on hot paths), a top-level class becomes
 * `var Name = class {`, whose `name` is `Name`, except when esbuild renames it: `Name2` when another class
 * of that name is in the same chunk, `var Name = class _Name {` for a class that refers to itself inside
 * its body (`Name.name` is `_Name` then).
 */
export function renamedClasses(code, classNames) {
  return [...code.matchAll(/^var ([\w$]+) = class(?: (?!extends\b)([\w$]+))?\b/gm)]
    .filter(([, binding, inner]) => inner !== undefined || !classNames.has(binding))
    .map(([, binding]) => binding);
}
