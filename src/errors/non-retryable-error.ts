/**
 * Thrown by a handler to say "repeating will not help": the message is dead-lettered at once with
 * reason `non-retryable` instead of being repeated. A signal, not a crash.
 *
 * @example
 * if (!customerExists) throw new NonRetryableError(`customer ${id} does not exist`);
 */
export class NonRetryableError extends Error {
  override readonly name: string = 'NonRetryableError';
  readonly code: string = 'ERR_TIDINGS_NON_RETRYABLE';
}
