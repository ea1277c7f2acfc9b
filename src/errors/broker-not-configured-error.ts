/**
 * `NODE_ENV=production` and no broker was configured: neither `MESSAGE_BROKER`, nor `AMQP_URL`, nor
 * a `broker` or `amqp.url` option. `createTransport()` (from `tidings/rabbitmq`) throws it rather than fall back to the in-memory transport, whose messages reach no other process
 * and are gone when this one exits. The message says how to configure RabbitMQ, or how to ask for the
 * in-memory transport explicitly.
 */
export class BrokerNotConfiguredError extends Error {
  override readonly name = 'BrokerNotConfiguredError';
  readonly code = 'ERR_TIDINGS_BROKER_NOT_CONFIGURED' as const;

  constructor() {
    super(
      'No message broker is configured and NODE_ENV is "production": createTransport() does not fall back to the in-memory transport there, whose messages ' +
        'reach no other process and are lost on exit. Set AMQP_URL=amqp://user:password@host:5672/vhost ' +
        '(several URLs separated by commas), or pass createTransport({ amqp: { url } }). To use the ' +
        "in-memory transport anyway, ask for it: MESSAGE_BROKER=memory or createTransport({ broker: 'memory' }).",
    );
  }
}
