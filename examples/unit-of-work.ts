// Your transactions as a UnitOfWork: the contract is one method, so adapting a database library is a few
// lines. Here a tiny stand-in for one (a client with BEGIN/COMMIT/ROLLBACK) shows the shape; the
// PostgreSQL one ships as PgUnitOfWork in tidings/postgres.
import { AggregateRoot, EventDispatcher, Flusher, type UnitOfWork } from 'tidings';

/** A stand-in for your database client: it logs the statements it would run. */
class Connection {
  readonly log: string[] = [];
  async query(sql: string): Promise<void> {
    this.log.push(sql);
  }
}

// #region adapter
const connection = new Connection();
const unitOfWork: UnitOfWork<Connection> = {
  async transaction(work) {
    await connection.query('BEGIN');
    try {
      const result = await work(connection); // your writes run on the transaction's connection
      await connection.query('COMMIT');
      return result;
    } catch (error) {
      await connection.query('ROLLBACK');
      throw error; // rethrow: the Flusher must see that nothing was committed
    }
  },
};
// #endregion

class OrderPlaced {
  constructor(readonly orderId: string) {}
}
class Order extends AggregateRoot {
  constructor(readonly id: string) {
    super();
  }
  place(): void {
    this.recordEvent(new OrderPlaced(this.id));
  }
}

// #region before-commit-hook
const dispatcher = new EventDispatcher();
const flusher = new Flusher({ dispatcher, unitOfWork });
dispatcher.on(OrderPlaced, (event) => void connection.query(`-- after commit: mail for ${event.orderId}`));
flusher.addBeforeCommitHook(async (events, tx) => {
  await tx.query(`INSERT INTO audit ... -- ${events.length} event(s), inside the transaction`);
});

const order = new Order('o-1');
order.place();
await flusher.transaction(async (tx) => {
  await tx.query("INSERT INTO orders VALUES ('o-1')");
  return [order];
});
console.log(connection.log.join('\n'));
// #endregion
