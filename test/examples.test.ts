// Every example in examples/ runs as a user would run it (through tsx), to its exit, and prints what it
// promises. Examples that need a server (a `// requires:` line) run in test/integration/examples.test.ts.
// The README's and docs/' TypeScript snippets are regions of these files (checked in docs.test.ts).
import { describe, expect, it } from 'vitest';
import { EXAMPLE_TIMEOUT_MS, listExamples, runExample } from './helpers/run-example.js';

// As a user runs them at first: in memory. AMQP_URL, DATABASE_URL or MESSAGE_BROKER in the environment of
// the test run would move them to the servers (test/integration/demo.test.ts runs the demo that way).
const inMemory = { AMQP_URL: undefined, DATABASE_URL: undefined, MESSAGE_BROKER: undefined };
const example = async (name: string): Promise<string> => (await runExample(name, inMemory)).stdout;

/** What some examples must print; every other example must at least run to a clean exit. */
const expectations: Record<string, (out: string) => void> = {
  'demo.ts': (out) => {
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
    expect(out).toContain('Bridge.forward(demo.order.placed)');
    expect(out).toContain('billing: charged 42 for o-1');
    expect(out).not.toContain('charged 25000');
    expect(out).toMatch(
      // The relay and the local listeners run side by side: other lines may come in between.
      /attempt 1: repeated in 100 ms\n[\s\S]*?attempt 2: repeated in 200 ms\n[\s\S]*?attempt 3: dead-lettered \(repeats-exhausted\)/,
    );
    expect(out).toContain(
      'dead letter: demo.order.placed from demo-billing.orders, repeats-exhausted after 3 attempts: card declined',
    );
    expect(out).toContain('Outbox: 4 row(s) published and kept for a day, 0 pending.');
  },
  'quick-start.ts': (out) => expect(out).toBe('mail for o-1\ncharged 42\nwelcome u-7\n1\n'),
  'quick-start-deferred.ts': (out) =>
    expect(out).toBe('committed\nmail for o-1\no-2 still holds 1 event(s); nothing was dispatched\n'),
  'subscribers.ts': (out) => {
    expect(out).toMatch(
      /^audit: UserRegistered\nwelcome mail to ada@example.com\naudit: UserRegistered\naudit: UserBanned\nno more mail to spam@mailinator.com\n/,
    );
    expect(out).toContain("[ 'AuditLog.record' ]");
  },
  'deferred-events.ts': (out) =>
    expect(out).toBe('commit\nplaced o-1\ncharged c-1\nplaced o-1\ncommitted=true: mail server down\n'),
  'dispatcher.ts': (out) => {
    expect(out).toMatch(/^mail for o-1\nfirst order ever\ncharged 42\nfalse\n/);
    expect(out).toContain('audit: UserRegistered\nwelcome ada@example.com\nERR_TIDINGS_ASYNC_LISTENER\n');
    expect(out).not.toContain('bot@mailinator.com');
    expect(out).toContain('analytics still ran\n1 listener(s) of order.placed failed: mailer');
  },
  'unit-of-work.ts': (out) =>
    expect(out).toBe(
      "BEGIN\nINSERT INTO orders VALUES ('o-1')\nINSERT INTO audit ... -- 1 event(s), inside the transaction\nCOMMIT\n-- after commit: mail for o-1\n",
    ),
  'tracing.ts': (out) =>
    expect(out).toBe(
      [
        '1 trace, 8 spans',
        'POST /orders',
        '  create order',
        '    send order',
        '    process billing.orders repeated attempt 1 error.type=Error',
        '      ack billing.orders repeated',
        '      send billing.orders.wait.50ms',
        '    process billing.orders acked attempt 2',
        '      ack billing.orders acked',
        '',
      ].join('\n'),
    ),
  'bridge.ts': (out) =>
    expect(out).toBe(
      [
        'billing: charged 42 for o-1',
        'billing: acked (attempt 1)',
        'billing: repeated (attempt 1)',
        'billing: repeated (attempt 2)',
        'billing: dead-lettered (attempt 3)',
        'dead letter: repeats-exhausted after 3 attempts: card declined',
        '',
      ].join('\n'),
    ),
  'publisher-consumer.ts': (out) => {
    expect(out).toMatch(/^sent (\S+)\nrepeated: attempt 1 of \1\n/);
    expect(out).toMatch(
      /document.created \{ event_id: 11995, name: 'docx' \} a1 req-7 attempt 2\nacked: attempt 2/,
    );
  },
  // docs/wire-format.md lists these headers: what a repeat and a dead letter carry besides your own.
  'dead-letters.ts': (out) => {
    expect(out).toContain(
      'a repeat carries: x-death, x-first-death-exchange, x-first-death-queue, x-first-death-reason, ' +
        'x-last-death-exchange, x-last-death-queue, x-last-death-reason, x-tidings-attempt, ' +
        'x-tidings-error-message, x-tidings-error-name, x-tidings-first-failure-at, ' +
        'x-tidings-last-failure-at, x-tidings-origin, x-tidings-original-exchange, x-tidings-original-routing-key\n',
    );
    expect(out).toContain(
      'a dead letter carries: x-tidings-attempts, x-tidings-consumer-app, x-tidings-dead-reason, ' +
        'x-tidings-error-message, x-tidings-error-name, x-tidings-error-stack, x-tidings-first-failure-at, ' +
        'x-tidings-last-failure-at, x-tidings-origin, x-tidings-original-exchange, x-tidings-original-queue, ' +
        'x-tidings-original-routing-key\n',
    );
    expect(out).toContain('non-retryable after 1 attempt(s): unknown customer\n');
    expect(out).toContain('repeats-exhausted after 2 attempt(s): card declined\n');
    expect(out).toContain('o-1 handled\n{ scanned: 2, replayed: 1, skipped: 1, failed: [], dryRun: false }');
    expect(out).toContain('{ purged: 1, dryRun: true }\n{ purged: 1, dryRun: false }\n');
  },
  'outbox.ts': (out) => {
    expect(out).toMatch(/relay: published 1 row\(s\)\n/);
    expect(out).toContain('rolled back: payment row locked\n');
    expect(out).toContain('warehouse got {"orderId":"o-1"}\n');
    expect(out).toMatch(/pending: 0,[\s\S]*published: 1/);
  },
  'idempotent-consumer.ts': (out) => expect(out).toBe('invoice for o-1\n1 invoice(s)\n'),
  'graceful-shutdown.ts': (out) => expect(out).toBe('handled o-1, then acked\nstopped cleanly\n'),
  'health.ts': (out) => {
    expect(out).toMatch(/^before start: 503 3 down\nstarted: 200\n/);
    expect(out).toMatch(/\nwarn \[relay-publish-failed\] Outbox relay: row \S+ not published \(attempt 1\)/);
    expect(out).toMatch(
      /\nrelay: up, 1 pending\nclosed: 503 transport closed, consumer billing.orders closed, relay stopped\n$/,
    );
  },
  'nestjs-health/main.ts': (out) =>
    expect(out).toBe(
      '200 {"status":"ok","tidings":"up"}\n503 {"status":"error","message":"transport closed"}\n',
    ),
  'nestjs-dto/main.ts': (out) =>
    expect(out).toBe(
      [
        'billing: charged 42 for o-1 (2 items)',
        'billing.orders: acked on attempt 1',
        'billing.orders: dead-lettered (invalid-content) on attempt 1',
        'dead letter: The payload of a message of billing.orders is not a valid PlaceOrderDto: total: total must not be less than 0; lines.0.quantity: quantity must not be less than 1',
        '',
      ].join('\n'),
    ),
  'nestjs-feature/main.ts': (out) =>
    expect(out).toBe(
      [
        'billing: charged 42 for o-1',
        'accounting: booked the invoice of o-1 (42)',
        'accounting.invoices: acked on attempt 1',
        'billing.orders: acked on attempt 1',
        'billing.orders: dead-lettered (non-retryable: @Consume on Billing.charge: refused by a guard ' +
          '(Forbidden resource)) on attempt 1',
        'closed',
        '',
      ].join('\n'),
    ),
  'nestjs/main.ts': (out) => {
    // The relay publishes o-1 while o-2 is being placed: the two mails and the charge may interleave.
    for (const line of [
      'mailer: confirmation for o-1 sent\n',
      'mailer: confirmation for o-2 sent\n',
      'billing: charged 42 for o-1 (attempt 1)\n',
      'receipts: receipt for o-1 (message on shop-receipts.orders)\n',
      'receipts: receipt for o-2 (message on shop-receipts.orders)\n',
    ])
      expect(out).toContain(line);
    expect(out).not.toContain('charged 25000');
    expect(out).toMatch(
      /shop-billing.orders: acked on attempt 1\nshop-billing.orders: dead-lettered \(non-retryable\) on attempt 1\n(shop-receipts.orders: acked on attempt 1\n){2}closed\n$/,
    );
  },
};

// Each example file, and each example application: a folder with a main.ts (examples/nestjs/main.ts).
const serverless = listExamples()
  .filter(({ servers }) => servers.length === 0)
  .map(({ name }) => name);

describe('examples', () => {
  it('every expectation names an example that needs no server', () => {
    expect(serverless).toEqual(expect.arrayContaining(Object.keys(expectations)));
  });

  it.concurrent.each(serverless)(
    '%s runs to its exit',
    { timeout: EXAMPLE_TIMEOUT_MS + 5_000 },
    async (name) => {
      const out = await example(name);
      expectations[name]?.(out);
    },
  );
});
