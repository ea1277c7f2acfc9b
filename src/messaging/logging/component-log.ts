import { redact } from '../../internal/redact.js';
import { sanitizeError } from '../../internal/safe-error.js';
import type { Logger } from './logger.js';

/** The level of an entry: the method of `Logger` it goes to. */
export type LogLevel = 'info' | 'warn' | 'error';

/**
 * A component's way to its `Logger` (internal): adds the stable `code` and the component's name to each
 * entry, masks the component's secrets (URL passwords) in the message and the error, and swallows
 * whatever the logger throws, since a failing logger must not take message handling down with it.
 * Without a logger it does nothing.
 */
export class ComponentLog {
  readonly #logger: Logger | undefined;
  readonly #component: string;
  readonly #secrets: readonly string[];

  constructor(logger: Logger | undefined, component: string, secrets: readonly string[] = []) {
    this.#logger = logger;
    this.#component = component;
    this.#secrets = secrets;
  }

  /** Whether a logger was given: callers skip building entries nobody reads. */
  get enabled(): boolean {
    return this.#logger !== undefined;
  }

  info(code: string, message: string, fields: Record<string, unknown> = {}): void {
    this.#write('info', code, message, fields);
  }

  warn(code: string, message: string, fields: Record<string, unknown> = {}): void {
    this.#write('warn', code, message, fields);
  }

  error(code: string, message: string, fields: Record<string, unknown> = {}): void {
    this.#write('error', code, message, fields);
  }

  #write(level: LogLevel, code: string, message: string, fields: Record<string, unknown>): void {
    const logger = this.#logger;
    if (logger === undefined) return;
    const data: Record<string, unknown> = { code, component: this.#component, ...fields };
    if (fields['err'] !== undefined) data['err'] = this.#safe(fields['err']);
    try {
      // Called as a method: pino's and console's methods need their `this`. `info` may be absent.
      logger[level]?.(data, this.#secrets.length > 0 ? redact(message, this.#secrets) : message);
    } catch {
      // A logger that throws (a closed stream, a bad transport) is ignored: see the class comment.
    }
  }

  /** The error as it is, unless it holds a secret: then a redacted copy (sanitizeError). */
  #safe(error: unknown): unknown {
    if (this.#secrets.length === 0) return error;
    const text = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
    return redact(text, this.#secrets) === text ? error : sanitizeError(error, this.#secrets);
  }
}
