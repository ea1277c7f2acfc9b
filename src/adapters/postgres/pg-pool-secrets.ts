import type { Pool } from 'pg';
import { passwordsOf, secretForms } from '../../internal/redact.js';

/**
 * The password of a pool, in every form it could show in a message (its `password` option and the one
 * in its `connectionString`), for logs: empty without a pool.
 */
export function poolSecrets(pool: Pool | undefined): string[] {
  const options = (pool as { options?: { password?: unknown; connectionString?: unknown } } | undefined)
    ?.options;
  const url = typeof options?.connectionString === 'string' ? [options.connectionString] : [];
  return [...secretForms([options?.password]), ...passwordsOf(url)];
}
