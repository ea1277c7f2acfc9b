/** The broker refused responsibility for a message (`basic.nack`): it was not stored. Safe to re-send. */
export class PublishNackedError extends Error {
  override readonly name = 'PublishNackedError';
  readonly code = 'ERR_TIDINGS_PUBLISH_NACKED' as const;

  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    readonly messageId: string | undefined,
  ) {
    super(
      `The broker nacked message ${messageId ?? '(no id)'} to "${exchange}" / "${routingKey}"; it was not stored`,
    );
  }
}
