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
    expect(out).toMatch(/o-2 looks suspicious, stopping propagation\n\n3\./);
    expect(out).toContain('rolled back (payment row locked): nothing dispatched');
    expect(out).toContain('o-3 still holds 1 recorded event(s)');
    expect(out).toContain('Bridge.forward(order.placed)');
    expect(out).toContain('billing: charged 42 for o-1');
    expect(out).not.toContain('for o-2');
    expect(out).toMatch(
      /attempt 1: repeated in 100 ms\n.*attempt 2: repeated in 200 ms\n.*attempt 3: dead-lettered \(repeats-exhausted\)/,
    );
    expect(out).toContain(
      'dead letter: order.placed from demo-billing.orders, repeats-exhausted after 3 attempts: card declined',
    );
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
