import { describe, expect, it } from 'vitest';
import { EventDispatcher, InvalidArgumentError } from '../../src/index.js';
import { OrderPlaced } from './fixtures.js';

function thrown(action: () => unknown): InvalidArgumentError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as InvalidArgumentError).code).toBe('ERR_TIDINGS_INVALID_ARGUMENT');
    return error as InvalidArgumentError;
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('bad input gets a clear TypeError naming the culprit', () => {
  const dispatcher = new EventDispatcher();

  it('dispatchSync(null | undefined | primitive | prototype-less object) throws', () => {
    expect(thrown(() => dispatcher.dispatchSync(null as never)).message).toMatch(/got null/);
    expect(thrown(() => dispatcher.dispatchSync(undefined as never)).message).toMatch(/got undefined/);
    expect(thrown(() => dispatcher.dispatchSync(42 as never)).message).toMatch(/got number 42/);
    expect(thrown(() => dispatcher.dispatchSync('' as never)).message).toMatch(/non-empty event name/);
    expect(thrown(() => dispatcher.dispatchSync(Object.create(null) as object)).message).toMatch(
      /no constructor/,
    );
  });

  it('dispatch(null | undefined) rejects (it never throws synchronously)', async () => {
    await expect(dispatcher.dispatch(null as never)).rejects.toThrow(InvalidArgumentError);
    await expect(dispatcher.dispatch(undefined as never)).rejects.toThrow(/got undefined/);
  });

  it('a listener that is not a function', () => {
    expect(thrown(() => dispatcher.on(OrderPlaced, 'handler' as never)).message).toBe(
      'on(order.placed): the listener must be a function, got "handler"',
    );
    expect(thrown(() => dispatcher.on(OrderPlaced, undefined as never)).message).toMatch(/got undefined/);
    // With options, on() registers through another path: the same check, the same message.
    expect(thrown(() => dispatcher.on(OrderPlaced, 'handler' as never, { priority: 1 })).message).toBe(
      'on(order.placed): the listener must be a function, got "handler"',
    );
  });

  it('a priority that is not an integer', () => {
    for (const priority of [1.5, NaN, Infinity, '1', null]) {
      expect(
        thrown(() => dispatcher.on(OrderPlaced, function mail() {}, { priority } as never)).message,
      ).toMatch(/on\(order\.placed\): priority of mail must be an integer/);
    }
  });

  it('an unknown option key, a bad signal, a bad event key', () => {
    expect(thrown(() => dispatcher.on(OrderPlaced, () => {}, { priorty: 1 } as never)).message).toMatch(
      /unknown option "priorty" \(known options: priority, once, signal\)/,
    );
    expect(thrown(() => dispatcher.on(OrderPlaced, () => {}, { signal: {} } as never)).message).toMatch(
      /signal must be an AbortSignal/,
    );
    expect(thrown(() => dispatcher.on(null as never, () => {})).message).toMatch(/got null/);
    expect(thrown(() => dispatcher.on('' as never, () => {})).message).toMatch(/non-empty event name/);
  });

  it('bad dispatcher options', () => {
    expect(thrown(() => new EventDispatcher({ errorPolicy: 'ignore' } as never)).message).toMatch(
      /errorPolicy must be 'stop' or 'collect', got "ignore"/,
    );
    expect(thrown(() => new EventDispatcher({ policy: 'stop' } as never)).message).toMatch(
      /unknown option "policy"/,
    );
  });

  it('nothing is registered when the input was rejected', () => {
    expect(dispatcher.hasListeners()).toBe(false);
  });
});
