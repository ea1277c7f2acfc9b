/**
 * The connection (or channel) to the broker closed while an operation was pending. For a publish the
 * outcome is **unknown**: the message may have been stored before the confirm was lost.
 */
export class ConnectionLostError extends Error {
  override readonly name = 'ConnectionLostError';
  readonly code = 'ERR_TIDINGS_CONNECTION_LOST' as const;
}
