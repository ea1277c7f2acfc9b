// The README's quick start: typed listeners, priorities, async listeners, string-named events.
// #region quick-start
import { EventDispatcher } from 'tidings';

class OrderPlaced {
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {}
}

const dispatcher = new EventDispatcher<{ 'user.login': { userId: string } }>();

const off = dispatcher.on(OrderPlaced, (event) => console.log(`mail for ${event.orderId}`), { priority: 10 });
dispatcher.on(OrderPlaced, async (event) => {
  await new Promise((resolve) => setTimeout(resolve, 1));
  console.log(`charged ${event.total}`);
});
dispatcher.on('user.login', (payload) => console.log(`welcome ${payload.userId}`));

await dispatcher.dispatch(new OrderPlaced('o-1', 42)); // mail for o-1, then charged 42
await dispatcher.dispatch('user.login', { userId: 'u-7' }); // welcome u-7

off();
console.log(dispatcher.getListeners(OrderPlaced).length); // 1
// #endregion
