/**
 * A value passed to tidings is not what the API accepts: a missing event, a listener that is not a
 * function, a priority that is not an integer, an unknown option key. The message names the culprit.
 *
 * It extends `TypeError`, so existing `instanceof TypeError` checks keep working.
 */
export class InvalidArgumentError extends TypeError {
  override readonly name: string = 'InvalidArgumentError';
  readonly code: string = 'ERR_TIDINGS_INVALID_ARGUMENT';
}
