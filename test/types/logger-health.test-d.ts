import type { HealthIndicatorFunction, HealthIndicatorResult } from '@nestjs/terminus';
import { describe, expectTypeOf, test } from 'vitest';
import { MemoryTransport, type Logger, type OutboxRelay, type TransportHealth } from 'tidings';
import { AmqpTransport } from 'tidings/rabbitmq';
import type { TidingsHealthIndicator } from 'tidings/nestjs';

/**
 * pino's `LogFn` and `Logger` (pino 9, `pino.d.ts`), copied rather than installed: a pino logger's
 * `warn`, `error` and `info` have these overloads.
 */
interface PinoLogFn {
  <T extends object>(obj: T, msg?: string, ...args: unknown[]): void;
  (obj: unknown, msg?: string, ...args: unknown[]): void;
  (msg: string, ...args: unknown[]): void;
}
interface PinoLogger {
  level: string;
  fatal: PinoLogFn;
  error: PinoLogFn;
  warn: PinoLogFn;
  info: PinoLogFn;
  debug: PinoLogFn;
  child(bindings: Record<string, unknown>): PinoLogger;
}
declare const pino: PinoLogger;

describe('Logger', () => {
  test('console and a pino logger fit as they are', () => {
    expectTypeOf(console).toExtend<Logger>();
    expectTypeOf(pino).toExtend<Logger>();
    new MemoryTransport({ logger: console });
    new AmqpTransport({ logger: pino });
  });

  test('something without warn(data, message) does not', () => {
    // @ts-expect-error: no error()
    new MemoryTransport({ logger: { warn: (_data: object, _message: string) => {} } });
    // @ts-expect-error: warn takes the message second, not only a string
    new MemoryTransport({ logger: { warn: (_message: number) => {}, error: () => {} } });
  });
});

describe('health()', () => {
  test('the transport is synchronous, the relay asks the outbox', () => {
    expectTypeOf(new MemoryTransport().health()).toEqualTypeOf<TransportHealth>();
    expectTypeOf<OutboxRelay['health']>().returns.resolves.toHaveProperty('lagMs');
    expectTypeOf<TransportHealth['status']>().toEqualTypeOf<'up' | 'down'>();
  });

  test("the Nest indicator's result is terminus's HealthIndicatorResult, under the key given", () => {
    type Result = Awaited<ReturnType<TidingsHealthIndicator['isHealthy']>>;
    expectTypeOf<Result>().toExtend<HealthIndicatorResult>();
    expectTypeOf<() => Promise<Result>>().toExtend<HealthIndicatorFunction>();
    const indicator = {} as TidingsHealthIndicator;
    expectTypeOf(indicator.isHealthy('broker')).resolves.toHaveProperty('broker');
  });
});
