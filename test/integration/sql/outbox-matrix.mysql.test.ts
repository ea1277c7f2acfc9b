// The outbox contract (test/contract/sql/outbox.contract.ts) on every unit of work of mysql; through
// RabbitMQ for the driver-level one, through the memory transport for all.
import { describeSqlOutbox } from '../../contract/sql/outbox.contract.js';
import { UNIT_OF_WORK_FACTORIES } from './orm-fixtures.js';

for (const [index, { name, setup }] of UNIT_OF_WORK_FACTORIES.mysql.entries()) {
  describeSqlOutbox(name, 'mysql', setup, { amqp: index === 0 });
}
