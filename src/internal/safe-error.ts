import { redact } from './redact.js';

/**
 * A copy of a client library's error that is safe to expose as a `cause`: name, message, stack and the
 * network fields (`code`, `errno`, `syscall`, `address`, `port`), with secrets redacted. Everything
 * else is left behind on purpose: clients keep what they were asked to do on their errors (ioredis'
 * `command.args`, which for a failed `AUTH` holds the password; the peer certificate of a TLS error).
 */
export function sanitizeError(error: unknown, secrets: readonly string[]): Error {
  if (!(error instanceof Error)) return new Error(redact(String(error), secrets));
  const copy = new Error(redact(error.message, secrets));
  Object.defineProperty(copy, 'name', { value: error.name, configurable: true, writable: true });
  copy.stack = error.stack === undefined ? undefined : redact(error.stack, secrets);
  const source = error as Error & Record<string, unknown>;
  for (const field of ['code', 'errno', 'syscall', 'address', 'port']) {
    const value = source[field];
    if (typeof value === 'string') Object.assign(copy, { [field]: redact(value, secrets) });
    else if (typeof value === 'number') Object.assign(copy, { [field]: value });
  }
  return copy;
}
