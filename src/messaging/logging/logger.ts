import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { describeValue } from '../../internal/options.js';

/**
 * Where tidings components write their warnings and errors: the shape `console` and a pino logger share
 * (pino's `(data, message)` argument order), so either is given as it is. Every entry's `data` holds a
 * stable `code` (`'transport-disconnected'`, `'relay-error'`…), the `component` that wrote it, and the
 * error, if any, under `err` (pino's convention, which its serializer expands); URLs in it have their
 * password masked. A logger that throws is ignored: logging never breaks the component.
 *
 * A Nest `Logger` has another shape: `TidingsModule` adapts it.
 *
 * @example
 * const transport = createTransport({ amqp: { logger: pino() } }); // or { logger: console }
 */
export interface Logger {
  /** Something went wrong that the component handles by itself (a reconnect, a retry, a fallback). */
  warn(data: object, message: string): void;
  /** Something went wrong that may need someone to look: a copy that cannot be published, say. */
  error(data: object, message: string): void;
  /** Lifecycle news (connected, resumed); written only when the logger has it. */
  info?(data: object, message: string): void;
}

/** Checks an optional `logger` option: an object with `warn` and `error` functions (and `info`, if any). */
export function loggerOption(logger: unknown, where: string): Logger | undefined {
  if (logger === undefined || isLogger(logger)) return logger;
  throw new InvalidArgumentError(
    `${where}: "logger" must have warn(data, message) and error(data, message) functions (console or a ` +
      `pino logger fits), got ${describeValue(logger)}`,
  );
}

function isLogger(value: unknown): value is Logger {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const { warn, error, info } = value as { warn?: unknown; error?: unknown; info?: unknown };
  return (
    typeof warn === 'function' &&
    typeof error === 'function' &&
    (info === undefined || typeof info === 'function')
  );
}
