/**
 * A consumed message cannot be turned into an event: undecodable or non-JSON body, a payload the schema
 * rejects, an unknown event name. Such a message is dead-lettered at once (reason `invalid-content`);
 * repeating it could never succeed.
 */
export class InvalidContentError extends Error {
  override readonly name = 'InvalidContentError';
  readonly code = 'ERR_TIDINGS_INVALID_CONTENT' as const;
}
