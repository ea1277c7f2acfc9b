import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';

export { redact } from '../../internal/redact.js';
export { sanitizeError } from '../../internal/safe-error.js';

/**
 * A Redis endpoint as tidings may show it: a display name without credentials, and the secrets to
 * scrub from any text that came from the client (error messages, stacks) before it leaves tidings.
 */
export interface RedisEndpoint {
  /** E.g. `redis://***@cache:6379/2`: user info replaced, query string dropped. */
  readonly display: string;
  /** Passwords (raw and URL-encoded) to remove from messages; longest first. */
  readonly secrets: readonly string[];
}

/**
 * Parses a `redis://` or `rediss://` URL. An invalid URL is rejected **without** echoing it, since the
 * part that fails to parse may well be the password (`new URL()` itself keeps the input on its error).
 */
export function redisEndpointFromUrl(url: unknown, where: string): RedisEndpoint {
  if (typeof url !== 'string') {
    throw new InvalidArgumentError(`${where}: url must be a string such as redis://host:6379`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(
      `${where}: url is not a valid URL (its value is not shown: it may hold a password)`,
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new InvalidArgumentError(
      `${where}: url must start with redis:// or rediss://, got ${JSON.stringify(parsed.protocol + '//')}`,
    );
  }
  const secrets = [parsed.password, safeDecode(parsed.password)];
  // ioredis reads `redis://secret@host` as a user name, but people write it meaning a password.
  if (parsed.password === '') secrets.push(parsed.username, safeDecode(parsed.username));
  const queryPassword = parsed.searchParams.get('password');
  if (queryPassword !== null) secrets.push(queryPassword, encodeURIComponent(queryPassword));
  const userInfo = parsed.username !== '' || parsed.password !== '' ? '***@' : '';
  const path = parsed.pathname === '/' ? '' : parsed.pathname;
  const query = parsed.search === '' ? '' : '?***';
  return {
    display: `${parsed.protocol}//${userInfo}${parsed.host}${path}${query}`,
    secrets: normalizeSecrets(secrets),
  };
}

/**
 * Describes a client the user brought, from the options ioredis keeps on it: `host`/`port` and
 * `password` of a `Redis`, `redisOptions.password` of a `Cluster`.
 */
export function redisEndpointFromClient(client: { options?: object | undefined }): RedisEndpoint {
  const options = (client.options ?? {}) as Record<string, unknown>;
  const nested = options.redisOptions;
  const nestedPassword =
    typeof nested === 'object' && nested !== null ? (nested as Record<string, unknown>).password : undefined;
  const passwords = [options.password, nestedPassword].filter((p): p is string => typeof p === 'string');
  const { host, port } = options;
  return {
    display:
      typeof host === 'string'
        ? `Redis client ${host}:${typeof port === 'number' || typeof port === 'string' ? port : 6379}`
        : 'the Redis client passed as `redis`',
    secrets: normalizeSecrets(passwords.flatMap((password) => [password, encodeURIComponent(password)])),
  };
}

function normalizeSecrets(candidates: readonly string[]): string[] {
  return [...new Set(candidates.filter((secret) => secret !== ''))].sort((a, b) => b.length - a.length);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
