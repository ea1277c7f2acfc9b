/**
 * No confirm arrived within the timeout. The outcome is **unknown**: the broker may or may not have
 * stored the message, so a re-send may produce a duplicate (consumers should be idempotent).
 */
export class PublishTimeoutError extends Error {
  override readonly name = 'PublishTimeoutError';
  readonly code = 'ERR_TIDINGS_PUBLISH_TIMEOUT' as const;

  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    readonly messageId: string | undefined,
    readonly timeoutMs: number,
  ) {
    super(
      `No broker confirm for message ${messageId ?? '(no id)'} to "${exchange}" / "${routingKey}" within ` +
        `${timeoutMs} ms; its outcome is unknown`,
    );
  }
}
