// Builds dist/esm (ES modules) and dist/cjs (CommonJS) with tsc, each with type declarations.
// tsc rather than a bundler: the output stays readable, and declarations come from the compiler itself.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import process from 'node:process';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');

rmSync('dist', { recursive: true, force: true });
for (const project of ['tsconfig.build.json', 'tsconfig.cjs.json']) {
  execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });
}
// The package is "type": "module"; this marker makes Node load dist/cjs/*.js as CommonJS.
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }, null, 2) + '\n');
