// Subscriber classes: decorators, getSubscribedEvents(), polymorphism, stop propagation, introspection.
import { Event, EventDispatcher, OnEvent, type EventSubscriber, type SubscribedEvents } from 'tidings';

abstract class DomainEvent extends Event {}
class UserRegistered extends DomainEvent {
  constructor(readonly email: string) {
    super();
  }
}
class UserBanned extends DomainEvent {
  constructor(readonly email: string) {
    super();
  }
}

// #region decorators
class AuditLog {
  // A listener on a base class receives every subclass event.
  @OnEvent(DomainEvent, { priority: 100 })
  record(event: DomainEvent): void {
    console.log(`audit: ${event.constructor.name}`);
  }
}
// #endregion

// #region symfony-style
class Welcome implements EventSubscriber {
  getSubscribedEvents(): SubscribedEvents<Welcome> {
    return [
      [
        UserRegistered,
        [
          ['blockDisposable', 50],
          ['send', 0],
        ],
      ],
      [UserBanned, 'cancel'],
    ];
  }
  blockDisposable(event: UserRegistered): void {
    if (event.email.endsWith('@mailinator.com')) event.stopPropagation();
  }
  send(event: UserRegistered): void {
    console.log(`welcome mail to ${event.email}`);
  }
  cancel(event: UserBanned): void {
    console.log(`no more mail to ${event.email}`);
  }
}
// #endregion

// #region add-subscriber
const dispatcher = new EventDispatcher();
const welcome = new Welcome();
dispatcher.addSubscriber(new AuditLog());
dispatcher.addSubscriber(welcome);

dispatcher.dispatchSync(new UserRegistered('ada@example.com')); // audit, welcome mail
dispatcher.dispatchSync(new UserRegistered('spam@mailinator.com')); // audit only: propagation stopped
dispatcher.dispatchSync(new UserBanned('spam@mailinator.com')); // audit, no more mail
// #endregion

console.log(dispatcher.describeListeners());
dispatcher.removeSubscriber(welcome);
console.log(dispatcher.getListeners(UserRegistered).map((listener) => listener.name)); // [ 'AuditLog.record' ]
