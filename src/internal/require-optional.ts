import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Loads an optional peer dependency synchronously, resolved from tidings' own location (where npm puts
 * its peers); `undefined` when it is not installed or fails to load. Synchronous because some callers
 * are (`encodeOutboxMessage`), and only called once the caller knows the package is wanted, so that
 * `import 'tidings'` never loads an optional peer.
 */
export function requireOptional(name: string): unknown {
  try {
    return createRequire(ownFile() ?? join(process.cwd(), 'index.js'))(name);
  } catch {
    return undefined;
  }
}

/**
 * This module's file. Neither `import.meta.url` (not allowed in the CommonJS build) nor `__filename` (not
 * defined in an ES module) works in both builds, but the stack of an Error made here names this file in
 * either (as in `src/cli/version.ts` and `src/adapters/rabbitmq/amqplib-version.ts`).
 */
function ownFile(): string | undefined {
  const frame = new Error().stack?.split('\n')[1] ?? '';
  const location = /\(?((?:file:\/\/|\/|[A-Za-z]:\\).*?):\d+:\d+\)?$/.exec(frame.trim())?.[1];
  if (location === undefined) return undefined;
  return location.startsWith('file://') ? fileURLToPath(location) : location;
}
