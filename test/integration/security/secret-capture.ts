// Records everything a failing connection can make visible — errors (message, stack, every cause,
// every property), every event of every emitter, console output, writes to stdout/stderr, process
// warnings, unhandled rejections — and then looks for a password in all of it.
import { inspect } from 'node:util';

/** A password for the tests: `/`, `@`, `#` and `:` make its URL-encoded form differ from the raw one. */
export const SECRET = 'S3cr3t/pa55w0rd@Xq7#z:';

/**
 * Every form in which a password could show: raw, URL-encoded (`encodeURIComponent`), as the WHATWG URL
 * serializer encodes user information, and each run of 6 or more letters and digits in it, which any
 * other encoding leaves as it is.
 */
export function secretForms(secret: string): string[] {
  const url = new URL('amqp://host');
  url.password = secret;
  const runs = secret.match(/[A-Za-z0-9]{6,}/g) ?? [];
  return [...new Set([secret, encodeURIComponent(secret), url.password, ...runs])];
}

/** The URL-encoded form, for building URLs. */
export const encoded = (secret: string): string => encodeURIComponent(secret);

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir'] as const;

export class SecretCapture {
  readonly #entries: { label: string; text: string }[] = [];
  readonly #undo: (() => void)[] = [];

  /** Starts recording console output, stdout/stderr writes, process warnings and unhandled rejections. */
  start(): this {
    for (const method of CONSOLE_METHODS) {
      const original = console[method];
      console[method] = (...args: unknown[]) => this.record(`console.${method}`, args);
      this.#undo.push(() => (console[method] = original));
    }
    for (const name of ['stdout', 'stderr'] as const) {
      const stream = process[name];
      const original = stream.write;
      const recording = (chunk: string | Uint8Array, ...rest: never[]): boolean => {
        this.record(`process.${name}`, typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
        return original.call(stream, chunk, ...rest);
      };
      stream.write = recording;
      this.#undo.push(() => (stream.write = original));
    }
    const onWarning = (warning: Error) => this.record('process warning', warning);
    const onRejection = (reason: unknown) => this.record('unhandled rejection', reason);
    process.on('warning', onWarning);
    process.on('unhandledRejection', onRejection);
    this.#undo.push(() => {
      process.off('warning', onWarning);
      process.off('unhandledRejection', onRejection);
    });
    return this;
  }

  stop(): void {
    for (const undo of this.#undo.splice(0).reverse()) undo();
  }

  /** Records every event an emitter emits, with all its arguments, whatever the event's name. */
  watch(label: string, emitter: { emit: unknown }): void {
    const target = emitter as { emit: (event: string | symbol, ...args: unknown[]) => boolean };
    const original = target.emit;
    target.emit = (event, ...args) => {
      this.record(`${label} '${String(event)}' event`, args);
      return original.call(target, event, ...args);
    };
    this.#undo.push(() => (target.emit = original));
  }

  /** Awaits `work` and records its rejection (or its value); resolves to the rejection reason. */
  async failure(label: string, work: Promise<unknown> | (() => unknown)): Promise<unknown> {
    try {
      const value = await (typeof work === 'function' ? work() : work);
      this.record(`${label} (resolved)`, value);
      return undefined;
    } catch (error) {
      this.record(label, error);
      return error;
    }
  }

  /**
   * Records a value in every form a logger could print it: for an error and each error in its `cause`
   * chain (and an AggregateError's `errors`), its message, stack and `String()`; and for the whole value
   * `util.inspect` (hidden properties and getters included) and a JSON dump of all own properties.
   */
  record(label: string, value: unknown): void {
    const parts: string[] = [];
    const seen = new Set<unknown>();
    const walk = (error: unknown): void => {
      if (!(error instanceof Error) || seen.has(error)) return;
      seen.add(error);
      parts.push(error.message, error.stack ?? '', String(error));
      walk(error.cause);
      if (error instanceof AggregateError) for (const inner of error.errors) walk(inner);
    };
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === 'string') parts.push(item);
      walk(item);
    }
    parts.push(inspect(value, { depth: 20, showHidden: true, getters: true, maxStringLength: null }));
    parts.push(dumpJson(value));
    this.#entries.push({ label, text: parts.join('\n') });
  }

  /** How many things were recorded under labels containing `label`. */
  count(label: string): number {
    return this.#entries.filter((entry) => entry.label.includes(label)).length;
  }

  /** Everything recorded, as text. */
  get text(): string {
    return this.#entries.map((entry) => `${entry.label}: ${entry.text}`).join('\n');
  }

  /** Throws, naming where and showing the context, if any form of any secret was recorded. */
  assertNoSecret(...secrets: string[]): void {
    const forms = secrets.flatMap(secretForms);
    for (const { label, text } of this.#entries) {
      for (const form of forms) {
        const at = text.indexOf(form);
        if (at !== -1) {
          throw new Error(
            `a password (${JSON.stringify(form)}) leaked in ${label}: …${text.slice(Math.max(0, at - 200), at + form.length + 50)}…`,
          );
        }
      }
    }
  }
}

/** JSON of a value with every own property of errors (message, stack, cause and the rest). */
function dumpJson(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return (
      JSON.stringify(value, function (_key, item: unknown) {
        if (typeof item === 'bigint') return String(item);
        if (typeof item !== 'object' || item === null) return item;
        if (seen.has(item)) return '[circular]';
        seen.add(item);
        if (item instanceof Error) {
          return Object.fromEntries(
            Object.getOwnPropertyNames(item).map((name) => [
              name,
              (item as unknown as Record<string, unknown>)[name],
            ]),
          );
        }
        return item;
      }) ?? ''
    );
  } catch (error) {
    return `[not serializable: ${(error as Error).message}]`;
  }
}
