import pg from 'pg';
import { PgUnitOfWork } from 'tidings/postgres';
import { describeSqlUnitOfWork } from '../../contract/sql/sql-unit-of-work.contract.js';
import { PG_URL } from '../../contract/sql/observer.js';

// The driver-level unit of work passes the same contract as the ORM adapters.
describeSqlUnitOfWork('PgUnitOfWork', 'postgres', async () => {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
  return { unitOfWork: new PgUnitOfWork({ pool }), close: () => pool.end() };
});
