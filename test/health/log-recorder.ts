// A Logger that records what it is given, for the logging tests.
import type { Logger } from '../../src/index.js';

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  data: Record<string, unknown>;
  message: string;
}

/** Records every entry; `codes()` lists their codes, `throwing` makes every call throw after recording. */
export function recordingLogger(options: { throwing?: boolean } = {}): Logger & {
  entries: LogEntry[];
  codes(level?: LogEntry['level']): string[];
} {
  const entries: LogEntry[] = [];
  const write = (level: LogEntry['level']) => (data: object, message: string) => {
    entries.push({ level, data: data as Record<string, unknown>, message });
    if (options.throwing) throw new Error('the logger is broken');
  };
  return {
    entries,
    codes: (level) =>
      entries
        .filter((entry) => level === undefined || entry.level === level)
        .map((e) => String(e.data['code'])),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  };
}

/** Everything an entry shows, as text: the message, the data, and the error's message and stack. */
export function entryText(entry: LogEntry): string {
  const err = entry.data['err'];
  const errorText = err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err);
  return `${entry.message}\n${JSON.stringify(entry.data)}\n${errorText}`;
}
