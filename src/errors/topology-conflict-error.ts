/**
 * Declaring an exchange or queue failed because one with the same name exists with other arguments
 * (AMQP `406 PRECONDITION_FAILED`). tidings never deletes it to make room: change the declaration or
 * migrate the queue deliberately.
 */
export class TopologyConflictError extends Error {
  override readonly name = 'TopologyConflictError';
  readonly code = 'ERR_TIDINGS_TOPOLOGY_CONFLICT' as const;

  constructor(
    readonly kind: 'exchange' | 'queue',
    readonly resource: string,
    /** The broker's explanation, which names the conflicting argument. */
    readonly detail: string,
  ) {
    super(`Cannot declare ${kind} "${resource}": it exists with different arguments (${detail})`);
  }
}
