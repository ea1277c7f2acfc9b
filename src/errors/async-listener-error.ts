/**
 * `dispatchSync()` called a listener that returned a promise (or any thenable). A synchronous dispatch
 * cannot wait for it, so instead of letting it run unobserved the dispatch fails and names the listener.
 * Use `dispatch()` for events that have asynchronous listeners.
 */
export class AsyncListenerError extends TypeError {
  override readonly name = 'AsyncListenerError';
  readonly code = 'ERR_TIDINGS_ASYNC_LISTENER' as const;

  constructor(
    /** The listener's display name, e.g. `Mailer.onOrderPlaced`. */
    readonly listener: string,
    eventName: string,
  ) {
    super(
      `Listener ${listener} of ${eventName} returned a promise during dispatchSync(); ` +
        `use dispatch() for events with asynchronous listeners`,
    );
  }
}
