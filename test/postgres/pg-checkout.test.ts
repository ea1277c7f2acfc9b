// A connection terminated just as it is made: pg-pool calls back from the parser that read
// ReadyForQuery, with its own 'error' listener removed, and the same chunk's FATAL is emitted right
// after, before any promise continuation runs. PgUnitOfWork must hold that error (and fail the
// transaction with it), not let an unhandled 'error' end the process. A fake pool reproduces the order.
import { EventEmitter } from 'node:events';
import type { Pool, PoolClient } from 'pg';
import { describe, expect, it } from 'vitest';
import { PgUnitOfWork } from '../../src/postgres.js';

class TerminatedAtConnect extends EventEmitter {
  released: unknown[] = [];
  async query(): Promise<never> {
    throw new Error('Client has encountered a connection error and is not queryable');
  }
  release(error?: unknown): void {
    this.released.push(error);
  }
}

function poolHandingOut(client: TerminatedAtConnect): Pool {
  return {
    query: () => Promise.reject(new Error('not used')),
    connect(callback: (error: Error | undefined, client: PoolClient) => void) {
      callback(undefined, client as unknown as PoolClient);
      // The rest of the chunk: the server terminated the backend.
      client.emit('error', new Error('terminating connection due to administrator command'));
      return undefined;
    },
  } as unknown as Pool;
}

describe('PgUnitOfWork: a connection lost as it is handed out', () => {
  it('holds the early error, fails the transaction, and has the pool discard the client', async () => {
    const client = new TerminatedAtConnect();
    const unitOfWork = new PgUnitOfWork({ pool: poolHandingOut(client) });
    await expect(unitOfWork.transaction(async () => 'never')).rejects.toThrow(/not queryable/);
    expect(client.released).toHaveLength(1);
    expect(String(client.released[0])).toMatch(/terminating connection/);
  });
});
