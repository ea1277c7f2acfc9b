// Logs and health: the transport, the bridge's consumers and the outbox relay write every warning and
// error to a logger (console here; a pino logger fits as it is), each entry with a stable `code`; and
// each says how it is, for a readiness probe. In memory: nothing to start.
// #region logger
import {
  Bridge,
  EventDispatcher,
  InMemoryUnitOfWork,
  MemoryOutbox,
  MemoryTransport,
  OutboxRelay,
  encodeOutboxMessage,
  type Logger,
} from 'tidings';

// `console` or a pino logger fit as they are (warn(data, message), error(data, message)). This one
// writes a line per entry: the level, the stable code, the message.
const line = (level: string) => (data: object, message: string) =>
  console.log(`${level} [${(data as { code: string }).code}] ${message}`);
const logger: Logger = { warn: line('warn'), error: line('error') };
const transport = new MemoryTransport({ logger });
const bridge = new Bridge({ dispatcher: new EventDispatcher(), transport, appId: 'billing', logger });
const outbox = new MemoryOutbox();
const relay = new OutboxRelay({ outbox, transport, logger, retry: { initialDelayMs: 60_000 } });
// #endregion

// #region readiness
/** What a readiness endpoint answers: 200 when everything is up, else 503 and what is down. */
async function readiness(): Promise<{ code: 200 | 503; down: string[] }> {
  const { transport, consumers } = bridge.health();
  const outboxRelay = await relay.health({ maxLagMs: 30_000 }); // lag: the oldest unpublished row's age
  const down = [
    ...(transport.status === 'down'
      ? [`transport ${transport.state} since ${transport.since.toISOString()}`]
      : []),
    ...consumers.filter((c) => c.status === 'down').map((c) => `consumer ${c.queue} ${c.state}`),
    ...(outboxRelay.status === 'down' ? [`relay ${outboxRelay.reason}`] : []),
  ];
  return { code: down.length === 0 ? 200 : 503, down };
}
// #endregion

bridge.consume({ queue: 'billing.orders', bindingKeys: ['order.placed'], handler: async () => {} });
console.log('before start:', (await readiness()).code, (await readiness()).down.length, 'down');
await bridge.start();
relay.start();
console.log('started:', (await readiness()).code);

// A row for an exchange nobody declared: the broker cannot route it, the relay logs relay-publish-failed
// (with the error under `err`) and tries again later.
await new InMemoryUnitOfWork().transaction((tx) =>
  outbox.add([encodeOutboxMessage({ orderId: 'o-1' }, 'nowhere.placed')], tx),
);
relay.nudge();
while ((await outbox.stats()).failing === 0) await new Promise((resolve) => setTimeout(resolve, 10));
const { pending, status } = await relay.health({ maxLagMs: 30_000 });
console.log(`relay: ${status}, ${pending} pending`);

await bridge.close();
await relay.stop();
await transport.close();
const closed = await readiness();
console.log('closed:', closed.code, closed.down.map((what) => what.replace(/ since .*/, '')).join(', '));
