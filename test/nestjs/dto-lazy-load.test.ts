// class-validator and class-transformer are optional peers of tidings/nestjs: a process whose consumers
// use no DTO never loads them (nor does importing tidings/nestjs); one with a DTO validates through them.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs test/fixtures/nest-dto-consumer.ts through tsx, as a user runs TypeScript; what it printed. */
function runApp(kind: 'plain' | 'dto'): unknown {
  const printed = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'test/fixtures/nest-dto-consumer.ts', kind],
    { cwd: root, encoding: 'utf8' },
  );
  return JSON.parse(printed.trim());
}

describe('class-validator and class-transformer, optional peers of tidings/nestjs', () => {
  it('are not loaded by an application whose @Consume event class has no decorators', () => {
    expect(runApp('plain')).toEqual({ outcome: 'acked', classValidator: false, classTransformer: false });
  });

  it('validate the payload of a DTO event class, loaded from where tidings is', () => {
    expect(runApp('dto')).toEqual({
      outcome: 'dead-lettered invalid-content',
      classValidator: true,
      classTransformer: true,
    });
  });
});
