/**
 * The transport could not connect to the broker. `connect()`, and every call waiting for a connection,
 * rejects with it once `maxConnectAttempts` attempts have failed (the message then says how many over
 * how long), or at once when trying again cannot help: the broker refused the credentials (403
 * ACCESS_REFUSED) or the virtual host (530 NOT_ALLOWED: it does not exist or the user may not use it),
 * or its TLS certificate failed verification. After the transport has been connected once, each failed
 * attempt to reconnect is an `'error'` event with it, and reconnecting goes on.
 *
 * Credentials never appear in it: `url` and the message show the URL with its password as `***` (the
 * user name and the vhost do show), and `cause` is a copy of the underlying error (`code` such as
 * `ECONNREFUSED` or `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, message, stack) with any password removed.
 */
export class ConnectionFailedError extends Error {
  override readonly name = 'ConnectionFailedError';
  readonly code = 'ERR_TIDINGS_CONNECTION_FAILED' as const;
  /** Connection attempts made so far, this one included (over every URL of a failover list). */
  readonly attempts: number;
  /** Milliseconds from the first of these attempts to the failure of this one. */
  readonly elapsedMs: number;

  constructor(
    message: string,
    /** The broker's URL, password masked. */
    readonly url: string,
    /** The AMQP reply code when the broker refused the connection (403 ACCESS_REFUSED, 530 NOT_ALLOWED). */
    readonly amqpCode: number | undefined,
    /** The TLS certificate of the broker failed verification (unknown CA, wrong host name, expired). */
    readonly certificateRejected: boolean,
    options?: { cause?: unknown; attempts?: number; elapsedMs?: number },
  ) {
    super(message, options);
    this.attempts = options?.attempts ?? 1;
    this.elapsedMs = options?.elapsedMs ?? 0;
  }
}
