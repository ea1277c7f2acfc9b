/** The transport was closed (or is closing) and takes no new work. */
export class TransportClosedError extends Error {
  override readonly name = 'TransportClosedError';
  readonly code = 'ERR_TIDINGS_TRANSPORT_CLOSED' as const;

  constructor(operation: string) {
    super(`Cannot ${operation}: the transport is closed`);
  }
}
