// requires: mysql
// Dead letters moved into a MySQL or MariaDB table, to be read in full, replayed or discarded one by one.
// The broker is the embedded one here (the archive works on any transport). MYSQL_URL defaults to the
// local server; the example's table is dropped at the end.
import mysql from 'mysql2/promise';
import { MemoryTransport, NonRetryableError, Publisher, Consumer } from 'tidings';
import { MysqlDeadLetterArchive } from 'tidings/mysql';

const transport = new MemoryTransport();
const consumer = new Consumer(transport, {
  queue: 'billing.orders',
  bindingKeys: ['order.placed'],
  appId: 'billing',
});
let cardWorks = false;
const settled: string[] = [];
consumer.on('settled', (outcome) => settled.push(outcome.outcome));
await consumer.consume(async ({ payload }) => {
  if (!cardWorks)
    throw new NonRetryableError(`card declined for ${(payload as { orderId: string }).orderId}`);
});
await new Publisher(transport, { appId: 'shop' }).send({ orderId: 'o-1' }, 'order.placed');
await new Publisher(transport, { appId: 'shop' }).send({ orderId: 'o-2' }, 'order.placed');
while (settled.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));

// #region archive
const pool = mysql.createPool({ uri: process.env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test' });
const archive = new MysqlDeadLetterArchive({
  pool,
  transport,
  appId: 'billing',
  table: 'example_mysql_dead_letters',
});
await archive.ensureSchema(); // or mysqlDeadLetterArchiveSchemaSql() in a migration

console.log(await archive.archive({ reason: 'non-retryable' })); // { scanned, archived, duplicates, skipped, failed }
const rows = await archive.list({ queue: 'billing.orders' }); // pending rows, oldest first, 100 at most
const row = await archive.get(rows[0]!.id); // error.stack, properties.headers, content (a Buffer)…
console.log(`#${row?.id} ${row?.reason}: ${row?.error?.message} ${row?.content.toString()}`);

cardWorks = true;
console.log(await archive.replay({ ids: [rows[0]!.id] })); // { selected, replayed, failed, notPending, dryRun }
console.log(await archive.discard({ reason: 'non-retryable' })); // the other row: handled, not replayed
console.log(await archive.counts());
await archive.purge({ olderThan: new Date(Date.now() + 1000) }); // replayed and discarded rows
// #endregion

while (settled.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
console.log(`replayed and handled: ${settled.join(', ')}`);
await consumer.close();
await transport.close();
await pool.query('DROP TABLE example_mysql_dead_letters');
await pool.end();
