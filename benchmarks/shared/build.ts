// Compiles src/ the way the package ships it (tsc with tsconfig.build.json: dist/esm), into a temporary
// directory removed when this process exits. Used by bench:amqp and bench:outbox (amqp/tidings.ts) and
// by bench:dispatch's import-time measurement.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Build {
  /** The directory holding `index.js` and the other entry points (ES modules). */
  readonly dir: string;
  /** How it was built, for a report's header. */
  readonly description: string;
}

export function compileTidings(): Build {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-bench-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const options = [
    '--outDir',
    dir,
    '--declaration',
    'false',
    '--declarationMap',
    'false',
    '--sourceMap',
    'false',
    '--inlineSources',
    'false',
  ];
  let description: string;
  try {
    execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), ...options], {
      stdio: 'pipe',
    });
    description = 'src/ compiled with tsc (tsconfig.build.json), as published';
  } catch (error) {
    // Type errors still emit JavaScript; only a missing output is fatal.
    if (!existsSync(join(dir, 'index.js'))) throw error;
    description = 'src/ compiled with tsc (tsconfig.build.json; it reported type errors)';
  }
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  // Bare imports (amqplib, ioredis…) resolve to the project's own copies: one instance of each.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, description };
}
