import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { passwordsOf, redactUrl, secretForms, type UrlRedaction } from '../../internal/redact.js';

/**
 * A Redis endpoint as tidings may show it: a display name without credentials, and the secrets to
 * scrub from any text that came from the client (error messages, stacks) before it leaves tidings.
 */
export interface RedisEndpoint {
  /** E.g. `redis://***@cache:6379/2`: user info replaced, a `password` query parameter masked. */
  readonly display: string;
  /** Passwords (raw, decoded and URL-encoded) to remove from messages; longest first. */
  readonly secrets: readonly string[];
}

/** ioredis reads `redis://secret@host` as the password "secret": a Redis URL shows no user info. */
const REDIS_URL: UrlRedaction = { userNameIsSecret: true };

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
  return { display: redactUrl(url, REDIS_URL), secrets: passwordsOf([url], REDIS_URL) };
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
  const { host, port } = options;
  return {
    display:
      typeof host === 'string'
        ? `Redis client ${host}:${typeof port === 'number' || typeof port === 'string' ? port : 6379}`
        : 'the Redis client passed as `redis`',
    secrets: secretForms([options.password, nestedPassword]),
  };
}
