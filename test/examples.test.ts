// Every example in examples/ runs as a user would run it (through tsx), and prints what it promises.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const tsx = createRequire(import.meta.url).resolve('tsx/cli');

async function example(name: string): Promise<string> {
  const { stdout } = await run(process.execPath, [tsx, `examples/${name}`], { timeout: 30_000 });
  return stdout;
}

describe('examples', () => {
  it('demo.ts tells the whole story', async () => {
    const out = await example('demo.ts');
    expect(out).toContain('[100] fraud check: o-1 is fine');
    expect(out).toContain('[ 10] mailer: confirmation for o-1 sent');
    expect(out).toContain('[  0] analytics: revenue +42');
    expect(out).toContain('Transactions and the outbox are in memory.');
    // Propagation stopped: no mail, no analytics; the outbox row was written before, so billing has it.
    expect(out).toMatch(
      /o-2 looks suspicious, stopping propagation \(no mail\)\n {2}billing: o-2 held for manual review\n.*acked\n\n3\./,
    );
    expect(out).not.toContain('confirmation for o-2');
    expect(out).toContain('rolled back (payment row locked): nothing dispatched, no outbox row');
    expect(out).toContain('o-3 still holds 1 recorded event(s)');
    expect(out).toContain('Bridge.forward(order.placed)');
    expect(out).toContain('billing: charged 42 for o-1');
    expect(out).not.toContain('charged 25000');
    expect(out).toMatch(
      // The relay and the local listeners run side by side: other lines may come in between.
      /attempt 1: repeated in 100 ms\n[\s\S]*?attempt 2: repeated in 200 ms\n[\s\S]*?attempt 3: dead-lettered \(repeats-exhausted\)/,
    );
    expect(out).toContain(
      'dead letter: order.placed from demo-billing.orders, repeats-exhausted after 3 attempts: card declined',
    );
    expect(out).toContain('Outbox: 4 row(s) published and kept for a day, 0 pending.');
  });

  it('quick-start.ts', async () => {
    expect(await example('quick-start.ts')).toBe('mail for o-1\ncharged 42\nwelcome u-7\n1\n');
  });

  it('subscribers.ts', async () => {
    const out = await example('subscribers.ts');
    expect(out).toMatch(
      /^audit: UserRegistered\nwelcome mail to ada@example.com\naudit: UserRegistered\naudit: UserBanned\nno more mail to spam@mailinator.com\n/,
    );
    expect(out).toContain("[ 'AuditLog.record' ]");
  });

  it('deferred-events.ts', async () => {
    expect(await example('deferred-events.ts')).toBe(
      'commit\nplaced o-1\ncharged c-1\nplaced o-1\ncommitted=true: mail server down\n',
    );
  });
});
