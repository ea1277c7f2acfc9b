import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The version in tidings' own package.json, read when asked: the nearest package.json with a name above
 * this file (dist/esm/cli/, dist/cjs/cli/ or src/cli/, in this repository or in node_modules/tidings).
 * `undefined` if that is not tidings' (a copy of the files without it).
 */
export function packageVersion(): string | undefined {
  const start = ownDirectory();
  if (start === undefined) return undefined;
  for (let directory = start; ; directory = dirname(directory)) {
    const manifest = readManifest(join(directory, 'package.json'));
    // dist/cjs/package.json only says "type": "commonjs": the package's own has a name.
    if (manifest?.name !== undefined) return manifest.name === 'tidings' ? manifest.version : undefined;
    if (dirname(directory) === directory) return undefined;
  }
}

/**
 * The directory of this module. Neither `import.meta.url` (not allowed in the CommonJS build) nor
 * `__dirname` (not defined in an ES module) works in both builds, but the stack of an Error made here
 * names this file in either; else the script node runs (the `tidings` bin, its symlink resolved).
 */
function ownDirectory(): string | undefined {
  const frame = new Error().stack?.split('\n')[1] ?? '';
  const location = /\(?((?:file:\/\/|\/|[A-Za-z]:\\).*?):\d+:\d+\)?$/.exec(frame.trim())?.[1];
  if (location !== undefined) {
    return dirname(location.startsWith('file://') ? fileURLToPath(location) : location);
  }
  const script = process.argv[1];
  if (script === undefined) return undefined;
  try {
    return dirname(realpathSync(script));
  } catch {
    return undefined;
  }
}

function readManifest(path: string): { name?: string; version?: string } | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; version?: unknown };
    return {
      ...(typeof parsed.name === 'string' ? { name: parsed.name } : {}),
      ...(typeof parsed.version === 'string' ? { version: parsed.version } : {}),
    };
  } catch {
    return undefined; // none here (or unreadable): look further up
  }
}
