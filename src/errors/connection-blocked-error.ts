/**
 * The broker blocked the connection — a RabbitMQ resource alarm (memory or disk) — and a publish could
 * not wait any longer: its timeout passed while the connection was open but blocked. `reason` is what
 * the broker said (`low on memory`, `low on disk`).
 *
 * `sent` tells what became of the message:
 * - `false`: it waited for the broker to unblock and was never sent; a retry cannot duplicate it.
 * - `true`: it had been written before the broker blocked the connection, and no confirm came; its
 *   outcome is **unknown**, as with `PublishTimeoutError` (the broker usually stores it once the alarm
 *   clears).
 */
export class ConnectionBlockedError extends Error {
  override readonly name = 'ConnectionBlockedError';
  readonly code = 'ERR_TIDINGS_CONNECTION_BLOCKED' as const;

  constructor(
    readonly reason: string,
    readonly messageId: string | undefined,
    readonly timeoutMs: number,
    readonly sent: boolean,
    options?: ErrorOptions,
  ) {
    super(
      `The broker blocked the connection (${reason || 'no reason given'}): message ` +
        `${messageId ?? '(no id)'} ${
          sent
            ? 'was sent before the block and got no confirm'
            : 'waited for the broker to unblock and was not sent'
        } within ${timeoutMs} ms` +
        (sent ? '; its outcome is unknown' : '') +
        '. A RabbitMQ memory or disk alarm blocks publishing connections until it clears',
      options,
    );
  }
}
