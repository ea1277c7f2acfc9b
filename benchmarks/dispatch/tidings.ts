// The EventDispatcher under test, as it ships: `run.ts` builds src/ once as dist/esm is
// (../shared/build.ts) and hands the directory to every child in TIDINGS_BENCH_BUILD. Loaded through tsx, src/ would carry
// esbuild's `keepNames` wrappers — a `__name(fn, "…")` (an Object.defineProperty) for every closure
// created — a cost the published package does not have and the peers (plain JavaScript) never pay. Without the variable (`--in-process`, `--from-src`), src/.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as DispatcherEntry from '../../src/dispatcher.js';

const built = process.env['TIDINGS_BENCH_BUILD'];
const entry: typeof DispatcherEntry =
  built === undefined
    ? await import('../../src/dispatcher.js')
    : ((await import(pathToFileURL(join(built, 'dispatcher.js')).href)) as typeof DispatcherEntry);

export const EventDispatcher = entry.EventDispatcher;
export type EventDispatcher = DispatcherEntry.EventDispatcher;
