import type { Pool } from 'pg';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue } from '../../internal/options.js';

/**
 * The `pool` option every PostgreSQL adapter takes first: a `pg` `Pool` the application creates and
 * manages (tidings never ends it). Checked by shape, so that a Pool of another copy of pg passes too.
 */
export function poolOption(pool: unknown, where: string): Pool {
  if (!looksLikePool(pool)) {
    throw new InvalidArgumentError(`${where}: "pool" must be a pg Pool, got ${describeValue(pool)}`);
  }
  return pool;
}

/**
 * Whether a value is a pool rather than the options object holding one: what a call written for the
 * former constructors (`new PgUnitOfWork(pool)`) passes, refused with a message saying what to write.
 */
export function looksLikePool(value: unknown): value is Pool {
  const pool = value as Partial<Pool> | null | undefined;
  return typeof pool?.query === 'function' && typeof pool.connect === 'function';
}
