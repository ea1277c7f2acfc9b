/**
 * The broker returned a `mandatory` message: no queue is bound to its exchange and routing key, so it
 * would have been dropped. The publish promise rejects with this instead of resolving as if delivered.
 */
export class UnroutableError extends Error {
  override readonly name = 'UnroutableError';
  readonly code = 'ERR_TIDINGS_UNROUTABLE' as const;

  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    readonly messageId: string | undefined,
    readonly replyText = 'NO_ROUTE',
  ) {
    super(
      `Message ${messageId ?? '(no id)'} to exchange "${exchange}" with routing key "${routingKey}" is ` +
        `unroutable (${replyText}): no queue is bound for it`,
    );
  }
}
