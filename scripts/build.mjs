// Builds dist/esm (ES modules) and dist/cjs (CommonJS), each with type declarations. tsc type-checks and
// writes the declarations of both, and all of the CommonJS build (one readable file per module). The ES
// module JavaScript is esbuild's bundle of the entry points with shared chunks (scripts/bundle-esm.mjs):
// Node's ES module loader costs about a millisecond per file, which a bundle does not pay per module.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import process from 'node:process';
import { bundleEsm } from './bundle-esm.mjs';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--emitDeclarationOnly'], {
  stdio: 'inherit',
});
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.cjs.json'], { stdio: 'inherit' });
bundleEsm({ root: process.cwd(), outdir: 'dist/esm', sourcemap: true });
// The package is "type": "module"; this marker makes Node load dist/cjs/*.js as CommonJS.
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }, null, 2) + '\n');
