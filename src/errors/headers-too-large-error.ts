import { InvalidArgumentError } from './invalid-argument-error.js';

/**
 * A message's headers encode to more bytes than an AMQP header table can hold (`limit`, 64 KiB: the
 * encoding buffer of amqplib). Nothing was sent: the publish is refused before it reaches the broker, on
 * the memory transport too, and the transport keeps working. Move large values into the body.
 */
export class HeadersTooLargeError extends InvalidArgumentError {
  override readonly name = 'HeadersTooLargeError';
  override readonly code = 'ERR_TIDINGS_HEADERS_TOO_LARGE';

  constructor(
    readonly messageId: string | undefined,
    /** The encoded size of the header table. */
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      `The headers of message ${messageId ?? '(no id)'} encode to ${bytes} bytes; an AMQP header table ` +
        `holds at most ${limit}, so the message was not published`,
    );
  }
}
