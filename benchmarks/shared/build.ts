// Builds src/ the way the package ships it (dist/esm: scripts/bundle-esm.mjs), into a temporary
// directory removed when this process exits. Used by bench:amqp and bench:outbox (amqp/tidings.ts) and
// by bench:dispatch's import-time measurement.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEsm } from '../../scripts/bundle-esm.mjs';

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
  // Type errors are `npm run typecheck`'s business; esbuild fails only on what it cannot compile.
  bundleEsm({ root: ROOT, outdir: dir, sourcemap: false });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  // Bare imports (amqplib, ioredis…) resolve to the project's own copies: one instance of each.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, description: 'src/ built as published (dist/esm: esbuild, entry points with shared chunks)' };
}
