import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The amqplib versions whose connection internals the header capture (`raw-header-capture.ts`) was
 * tested against. On another version the capture stays off, and copies carry amqplib's plain re-encoding
 * of the headers.
 */
export function isTestedAmqplib(version: string | undefined): boolean {
  return version !== undefined && /^2\.3\.\d+$/.test(version);
}

let found: { version: string | undefined } | undefined;

/**
 * The version of the amqplib that tidings loads, from its own package.json (its `exports` map hides
 * `amqplib/package.json`, so it is found by path: amqplib's main file, resolved from this module, and the
 * package.json above it); `undefined` when that cannot be read. Read once.
 */
export function amqplibVersion(): string | undefined {
  found ??= { version: readAmqplibVersion() };
  return found.version;
}

function readAmqplibVersion(): string | undefined {
  const from = ownFile();
  if (from === undefined) return undefined;
  let directory: string;
  try {
    directory = dirname(createRequire(from).resolve('amqplib'));
  } catch {
    return undefined;
  }
  for (;;) {
    const manifest = readManifest(join(directory, 'package.json'));
    if (manifest?.name !== undefined) return manifest.name === 'amqplib' ? manifest.version : undefined;
    if (dirname(directory) === directory) return undefined;
    directory = dirname(directory);
  }
}

/**
 * This module's file. Neither `import.meta.url` (not allowed in the CommonJS build) nor `__filename` (not
 * defined in an ES module) works in both builds, but the stack of an Error made here names this file in
 * either (as in `src/cli/version.ts`).
 */
function ownFile(): string | undefined {
  const frame = new Error().stack?.split('\n')[1] ?? '';
  const location = /\(?((?:file:\/\/|\/|[A-Za-z]:\\).*?):\d+:\d+\)?$/.exec(frame.trim())?.[1];
  if (location === undefined) return undefined;
  return location.startsWith('file://') ? fileURLToPath(location) : location;
}

function readManifest(path: string): { name?: unknown; version?: string } | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; version?: unknown };
    return {
      name: parsed.name,
      ...(typeof parsed.version === 'string' ? { version: parsed.version } : {}),
    };
  } catch {
    return undefined; // none here (or unreadable): look further up
  }
}
