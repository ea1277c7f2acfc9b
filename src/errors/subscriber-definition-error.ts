/**
 * A subscriber class is declared wrongly: `getSubscribedEvents()` names a method that does not exist,
 * or `@OnEvent()` was used without an event class where none can be read from the parameter type.
 * Thrown as early as possible (when the class is defined or the subscriber added), never at dispatch.
 */
export class SubscriberDefinitionError extends TypeError {
  override readonly name = 'SubscriberDefinitionError';
  readonly code = 'ERR_TIDINGS_SUBSCRIBER_DEFINITION' as const;
}
