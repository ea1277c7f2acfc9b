import { eventNameOf } from './event-types.js';
import type { Registration } from './registration.js';

/** What `getListeners()` reports about one registration. */
export interface ListenerInfo {
  /** The name of the event (class) it was registered on; for inherited listeners, the base class. */
  readonly event: string;
  /** Display name: `Subscriber.method` for subscribers, else the function's name. */
  readonly name: string;
  readonly priority: number;
  readonly once: boolean;
  /** The registered function (a subscriber's method, unbound). */
  readonly listener: (...args: never[]) => unknown;
  /** The subscriber instance that owns it, if it came from `addSubscriber()`. */
  readonly subscriber: object | undefined;
}

export function listenerInfo(registration: Registration): ListenerInfo {
  return Object.freeze({
    // Listings are taken from the registry's lists: every registration in them is registered.
    event: eventNameOf(registration.key!),
    name: registration.name,
    priority: registration.priority,
    once: registration.once,
    listener: registration.listener,
    subscriber: registration.subscriber,
  });
}

/**
 * A printable table of registrations, one block per event in call order (like Symfony's
 * `debug:event-dispatcher`).
 */
export function formatListenerTable(blocks: readonly (readonly ListenerInfo[])[]): string {
  const rows: string[][] = [['Event', '#', 'Priority', 'Listener']];
  for (const block of blocks) {
    block.forEach((info, index) => {
      rows.push([
        index === 0 ? info.event : '',
        `#${index + 1}`,
        String(info.priority),
        info.name + (info.once ? ' (once)' : ''),
      ]);
    });
  }
  if (rows.length === 1) return 'No listeners registered.';
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [
    line(rows[0]!),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n');
}
