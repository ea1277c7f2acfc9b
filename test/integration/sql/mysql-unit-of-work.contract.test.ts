import mysql from 'mysql2/promise';
import { MysqlUnitOfWork } from 'tidings/mysql';
import { describeSqlUnitOfWork } from '../../contract/sql/sql-unit-of-work.contract.js';
import { MYSQL_URL } from '../../contract/sql/observer.js';

// The driver-level unit of work passes the same contract as the ORM adapters.
describeSqlUnitOfWork('MysqlUnitOfWork', 'mysql', async () => {
  const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 4 });
  return { unitOfWork: new MysqlUnitOfWork({ pool }), close: () => pool.end() };
});
