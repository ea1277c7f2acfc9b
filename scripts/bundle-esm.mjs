// The ES module build's JavaScript: esbuild bundles each entry point of package.json ("exports" and
// "bin") from src/, and code splitting puts every module reached from more than one entry point into a
// shared chunk, so each class exists once whichever entry points an application imports (a dispatcher
// from `tidings/dispatcher` and an error from `tidings` mix). Why bundle: Node's ES module loader costs
// about a millisecond per module file, and `tidings/dispatcher` is 18 modules; bundled, its import takes
// what eventemitter3's does (benchmarks/README.md, "Import time").
//
// Packages stay imports (amqplib, pg… are optional peers, loaded only by the entry points that use
// them). Nothing is minified, and every exported class keeps its name (`renamedClasses`; the dist tests
// compare each export's name with the CommonJS build's). The source maps carry the sources, as tsc's did.
// The CommonJS build stays tsc's file-per-module output (CommonJS loads a file in a fraction of that time).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  const renamed = result.outputFiles.flatMap((file) => renamedClasses(file.text));
  if (renamed.length > 0) {
    throw new Error(
      `bundle-esm: the bundle renames ${renamed.join(', ')}, which changes its \`name\`. A class that ` +
        'names itself inside its body (a static member read as `Class.member`, `new Class()` in a static ' +
        'method) becomes `var Class = class _Class`: use a module-level constant, or `this` in a static method.',
    );
  }
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.contents);
  }
}

/**
 * Classes whose name the bundle changed. Without `keepNames` (which would wrap every named closure the
 * library creates in a `__name()` call, a cost on hot paths), esbuild keeps a class's name, except for a
 * class that refers to itself inside its body: `var Name = class _Name {` then, and `Name.name` is `_Name`.
 */
export function renamedClasses(code) {
  return [...code.matchAll(/\bvar ([\w$]+) = class (_\1)\b/g)].map((match) => match[1]);
}
