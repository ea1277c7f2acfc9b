// The in-process dispatcher: events, listeners, priorities, polymorphism, stopping propagation,
// dispatch() and dispatchSync(), the error policy and introspection. Every region is a snippet of
// docs/dispatcher.md.
import { AsyncListenerError, Event, EventDispatcher, ListenersFailedError } from 'tidings';

// #region events
class OrderPlaced {
  static eventName = 'order.placed'; // optional: the name used in logs, tables and routing
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {}
}
// #endregion

// #region listeners
const dispatcher = new EventDispatcher();
const controller = new AbortController();
const mail = (event: OrderPlaced) => console.log(`mail for ${event.orderId}`);

const off = dispatcher.on(OrderPlaced, mail, { priority: 10, signal: controller.signal });
dispatcher.once(OrderPlaced, () => console.log('first order ever')); // removed after its first call
dispatcher.on(OrderPlaced, async (event) => {
  await new Promise((resolve) => setTimeout(resolve, 1)); // an async listener is awaited in turn
  console.log(`charged ${event.total}`);
});

await dispatcher.dispatch(new OrderPlaced('o-1', 42)); // mail for o-1, first order ever, charged 42
off(); // removes this registration; calling it again is harmless
controller.abort(); // would have removed it too
console.log(dispatcher.off(OrderPlaced, mail)); // false: already removed
// #endregion

// #region polymorphism
abstract class DomainEvent extends Event {}
class UserRegistered extends DomainEvent {
  constructor(readonly email: string) {
    super();
  }
}
dispatcher.on(DomainEvent, (event) => console.log(`audit: ${event.constructor.name}`)); // subclasses too
// #endregion

// #region stop-propagation
const isDisposable = (email: string) => email.endsWith('@mailinator.com');
dispatcher.on(
  UserRegistered,
  (event) => {
    if (isDisposable(event.email)) event.stopPropagation(); // later listeners are not called
  },
  { priority: 50 },
);
dispatcher.on(UserRegistered, (event) => console.log(`welcome ${event.email}`), { priority: -10 });

dispatcher.dispatchSync(new UserRegistered('ada@example.com')); // audit: UserRegistered, welcome ada@example.com
dispatcher.dispatchSync(new UserRegistered('bot@mailinator.com')); // nothing after the check
// #endregion

// #region dispatch-sync
dispatcher.on('user.login', async () => {}); // string-named events work too, payloads are `unknown`
try {
  dispatcher.dispatchSync('user.login', { userId: 'u-7' });
} catch (error) {
  if (error instanceof AsyncListenerError) console.log(error.code); // ERR_TIDINGS_ASYNC_LISTENER
}
// #endregion

// #region error-policy
const collecting = new EventDispatcher({ errorPolicy: 'collect' }); // default: 'stop'
collecting.on(OrderPlaced, function mailer() {
  throw new Error('mail server down');
});
collecting.on(OrderPlaced, () => console.log('analytics still ran'));
try {
  await collecting.dispatch(new OrderPlaced('o-2', 7));
} catch (error) {
  if (error instanceof ListenersFailedError) console.log(error.message);
}
// #endregion

// #region introspection
console.log(dispatcher.getListeners(UserRegistered).map(({ name, priority }) => `${name} ${priority}`));
console.log(dispatcher.hasListeners(OrderPlaced), dispatcher.hasListeners()); // base-class listeners count
console.log(dispatcher.describeListeners());
// #endregion
