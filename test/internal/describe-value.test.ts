// describeValue goes into error messages (and so into logs): a connection URL passed where an object
// was expected must not show its password there.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/index.js';
import { describeValue } from '../../src/internal/options.js';
import { PgUnitOfWork } from '../../src/postgres.js';
import { MysqlDeadLetterArchive } from '../../src/mysql.js';

describe('describeValue', () => {
  it('masks the password of a URL, in the user information and as a query parameter', () => {
    expect(describeValue('amqp://guest:s3cret@rabbit:5672/vh')).toBe('"amqp://guest:***@rabbit:5672/vh"');
    expect(describeValue('postgres://db/app?password=s3cret&x=1')).toBe(
      '"postgres://db/app?password=***&x=1"',
    );
    expect(describeValue('user:s3cret@host')).not.toContain('s3cret');
  });

  it('shows other strings as they are, shortened', () => {
    expect(describeValue('hello')).toBe('"hello"');
    expect(describeValue('x'.repeat(80))).toBe(`"${'x'.repeat(57)}..."`);
  });

  it('keeps the password out of the errors of options given a URL instead of an object', () => {
    const url = 'postgres://app:s3cret@db:5432/app';
    for (const attempt of [
      () => new PgUnitOfWork(url as never),
      () => new MysqlDeadLetterArchive(url as never),
    ]) {
      let error: unknown;
      try {
        attempt();
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).not.toContain('s3cret');
    }
  });
});
