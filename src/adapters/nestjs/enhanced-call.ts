import { ForbiddenException } from '@nestjs/common';
import type { ExternalContextCreator } from '@nestjs/core';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { NonRetryableError } from '../../errors/non-retryable-error.js';
import type { ConsumedMessage } from '../../messaging/consumer/consumed-message.js';

/** Calls a consumer method on an instance with `(payload, message)`. */
export type MethodCall = (instance: object, payload: unknown, message: ConsumedMessage) => Promise<unknown>;

/** A plain call: no guard, interceptor, pipe or filter (the default of `@Consume`). */
export function plainCall(methodName: string | symbol): MethodCall {
  return async (instance, payload, message) => {
    const method = (instance as Record<string | symbol, unknown>)[methodName] as (
      payload: unknown,
      message: ConsumedMessage,
    ) => unknown;
    return await method.call(instance, payload, message);
  };
}

/**
 * A call through Nest's guards and interceptors (`@Consume({ enhancers: true })`), as
 * `@nestjs/microservices` runs a message handler: `ExternalContextCreator`, context type `'rpc'`, so
 * that `switchToRpc().getData()` is the payload and `getContext()` the `ConsumedMessage`, and a guard
 * written for HTTP (`getType() === 'http'`) can tell it is not one. No pipes (the payload is the one
 * `schema` and `event` made) and no exception filters: what the method throws must reach the consumer,
 * which repeats or dead-letters the message, not be turned into a response nobody reads.
 *
 * A guard that returns false makes Nest throw a `ForbiddenException`; so does a guard or method that
 * refuses by throwing one. The message is dead-lettered at once (`non-retryable`): it would be refused
 * again on every repeat. Guards and interceptors are resolved once per instance (static context).
 */
export function enhancedCall(
  contextCreator: ExternalContextCreator,
  methodName: string | symbol,
  where: string,
): MethodCall {
  if (typeof methodName === 'symbol') {
    // Nest looks handlers up by a string name (its metadata cache and argument reflection).
    throw new InvalidArgumentError(`${where}: "enhancers" needs a method with a string name`);
  }
  // One context per instance: the singleton's is made once, a per-message instance gets its own.
  const calls = new WeakMap<object, (...args: unknown[]) => Promise<unknown>>();
  return async (instance, payload, message) => {
    let call = calls.get(instance);
    if (call === undefined) {
      const method = (instance as Record<string, unknown>)[methodName] as (...args: unknown[]) => unknown;
      call = contextCreator.create(
        instance,
        method,
        methodName,
        undefined,
        undefined,
        undefined,
        undefined,
        { guards: true, interceptors: true, filters: false },
        'rpc',
      );
      calls.set(instance, call);
    }
    try {
      return await call(payload, message);
    } catch (error) {
      if (!(error instanceof ForbiddenException)) throw error;
      throw new NonRetryableError(`${where}: refused by a guard (${error.message})`, { cause: error });
    }
  };
}
