// requires: tls
// AmqpTransport over TLS to a broker whose certificate your own CA signed, with a client certificate.
// Run by test/integration/security/tls.test.ts against a TLS listener it starts in the local RabbitMQ
// (AMQPS_URL, and the files in TLS_DIR: ca.pem, client.pem, client.key); elsewhere point them at yours.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AmqpTransport } from 'tidings/rabbitmq';

const dir = process.env['TLS_DIR'] ?? '/etc/ssl/rabbitmq';

// #region tls
const transport = new AmqpTransport({
  url: process.env['AMQPS_URL'] ?? 'amqps://app:secret@rabbitmq.internal:5671',
  tls: {
    ca: readFileSync(join(dir, 'ca.pem')), // the CA that signed the broker's certificate
    // When the broker requires client certificates (ssl_options.fail_if_no_peer_cert = true):
    cert: readFileSync(join(dir, 'client.pem')),
    key: readFileSync(join(dir, 'client.key')),
    passphrase: process.env['CLIENT_KEY_PASSPHRASE'], // if the key is encrypted
  },
});
// #endregion

// A round trip over the encrypted connection, on a queue of its own.
const queue = `tls-example-${randomUUID().slice(0, 8)}`;
await transport.declare({ queues: [{ name: queue, durable: false }] });
const received = new Promise<string>((resolve) => {
  void transport.consume(
    queue,
    async (delivery) => {
      delivery.ack();
      resolve(delivery.content.toString());
    },
    { prefetch: 1 },
  );
});
await transport.publish({
  exchange: '',
  routingKey: queue,
  content: Buffer.from('over TLS'),
  properties: {},
});
console.log(`received "${await received}"`);
await transport.deleteQueue(queue);
await transport.close();
