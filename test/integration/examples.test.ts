// The examples that need a server (a `// requires:` line), run to their exit against the real ones.
// examples/tls.ts runs in security/tls.test.ts, which starts the TLS listener it needs.
import { describe, expect, it } from 'vitest';
import { EXAMPLE_TIMEOUT_MS, listExamples, runExample } from '../helpers/run-example.js';
import { DATABASE_URL, MYSQL_URL, REDIS_URL } from './servers.js';

const env = { DATABASE_URL, MYSQL_URL, REDIS_URL };

/** The ORM examples on MySQL/MariaDB: the committed order is consumed once, the rolled-back one is not. */
function outboxOnMysql(out: string): void {
  expect(out).toContain('rolled back: card declined\n');
  expect(out.match(/warehouse got/g)).toEqual(['warehouse got']);
  expect(out).toContain('warehouse got o-1 (42)\n');
  expect(out).toContain('orders: o-1\n');
  expect(out).toContain('outbox: 0 pending, 1 published\n');
}

/** The dead-letter archive examples: two archived, one replayed and handled, one discarded. */
function archivedAndReplayed(out: string): void {
  expect(out).toContain('{ scanned: 2, archived: 2, duplicates: 0, skipped: 0, failed: [] }');
  expect(out).toMatch(/#\d+ non-retryable: card declined for o-1 \{"orderId":"o-1"\}/);
  expect(out).toContain('{ selected: 1, replayed: 1, failed: [], notPending: [], dryRun: false }');
  expect(out).toContain('{ pending: 0, replayed: 1, discarded: 1 }');
  expect(out).toContain('replayed and handled: dead-lettered, dead-lettered, acked\n');
}

const expectations: Record<string, (out: string) => void> = {
  'redis-repeat-counter.ts': (out) =>
    expect(out).toBe('repeated on attempt 1\nrepeated on attempt 2\ndead-lettered on attempt 3\n'),
  'postgres-outbox.ts': (out) => {
    expect(out).toContain('warehouse got {"id":"o-1","total":42}\n');
    expect(out).toMatch(/pending: 0,[\s\S]*published: 1/);
  },
  'mysql.ts': outboxOnMysql,
  'knex.ts': outboxOnMysql,
  'kysely.ts': outboxOnMysql,
  'drizzle.ts': outboxOnMysql,
  'typeorm.ts': outboxOnMysql,
  'typeorm-subscriber.ts': (out) => {
    outboxOnMysql(out);
    expect(out).toContain('still recorded on o-2: 1\n');
  },
  'mikro-orm.ts': outboxOnMysql,
  'prisma.ts': outboxOnMysql,
  'mikro-orm-flush.ts': (out) => {
    expect(out).toContain('rolled back: o-1 exists; 1 event(s) still recorded\n');
    expect(out.match(/warehouse got/g)).toEqual(['warehouse got']);
    expect(out).toContain('warehouse got o-1 (42)\n');
    expect(out).toContain('orders: o-1 (42)\n');
    expect(out).toContain('outbox: 0 pending, 1 published\n');
  },
  'nestjs-typeorm/main.ts': (out) => {
    // The relay publishes o-1 while o-2 is being placed: the warehouse's line may come before or after.
    expect(out).toMatch(/^mailer: confirmation for o-1 sent\n/);
    expect(out).toContain('rolled back: card declined for o-2\n');
    expect(out.match(/warehouse got/g)).toEqual(['warehouse got']);
    expect(out).toContain('warehouse got o-1 (42)\n');
    expect(out).not.toContain('o-2 sent');
    expect(out).toMatch(/orders: o-1\nclosed\n$/);
  },
  'mysql-dead-letter-archive.ts': (out) => archivedAndReplayed(out),
  'postgres-dead-letter-archive.ts': (out) => archivedAndReplayed(out),
};

// Example files and example applications (a folder with a main.ts), as in test/examples.test.ts.
const withServers = listExamples()
  .filter(({ servers }) => servers.length > 0 && !servers.includes('tls'))
  .map(({ name }) => name);

describe('examples that need servers', () => {
  it('every such example has its expectations', () => {
    expect(Object.keys(expectations).sort()).toEqual([...withServers].sort());
  });

  it.each(withServers)('%s runs to its exit', { timeout: EXAMPLE_TIMEOUT_MS + 5_000 }, async (name) => {
    const { stdout } = await runExample(name, env);
    expectations[name]?.(stdout);
  });
});
