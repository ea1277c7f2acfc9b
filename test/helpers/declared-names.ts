// What a test must delete after a Consumer (or a Bridge's consume()) ran on a shared broker: every
// queue and exchange the subscriber declares, computed the way the Consumer computes them.
import { resolveDeadLetterNames, type DeadLetterNames } from '../../src/messaging/names.js';
import { consumerTopology } from '../../src/messaging/consumer/consumer-topology.js';

/** The Consumer's default `repeatDelaysMs` (src/messaging/consumer/consumer-options.ts). */
export const DEFAULT_REPEAT_DELAYS_MS: readonly number[] = [1000, 10_000, 60_000];

export interface DeclaredNames {
  queues: string[];
  exchanges: string[];
}

/** The options of a Consumer (or of Bridge.consume(), ) that name things. */
export interface SubscriberNaming {
  queue: string;
  /** Binding keys; each declares its first part's topic exchange. */
  bindingKeys?: readonly string[];
  /** @defaultValue 'tidings' */
  appId?: string;
  deadLetter?: Partial<DeadLetterNames>;
  /** @defaultValue DEFAULT_REPEAT_DELAYS_MS */
  repeatDelaysMs?: readonly number[];
}

/**
 * Everything a Consumer declares: its queue, one wait queue per repeat delay, the app's dead-letter
 * exchange and queue, and the topic exchange of each route's first part.
 */
export function subscriberNames(options: SubscriberNaming): DeclaredNames {
  const topology = consumerTopology({
    queue: options.queue,
    bindingKeys: options.bindingKeys ?? [],
    deadLetter: resolveDeadLetterNames(options.appId ?? 'tidings', options.deadLetter, 'subscriberNames'),
    repeatDelaysMs: options.repeatDelaysMs ?? DEFAULT_REPEAT_DELAYS_MS,
  });
  return {
    queues: (topology.queues ?? []).map(({ name }) => name),
    exchanges: (topology.exchanges ?? []).map(({ name }) => name),
  };
}

/** The names of several subscribers (and extra names), each once. */
export function mergeNames(...parts: Partial<DeclaredNames>[]): DeclaredNames {
  return {
    queues: [...new Set(parts.flatMap((part) => part.queues ?? []))],
    exchanges: [...new Set(parts.flatMap((part) => part.exchanges ?? []))],
  };
}

/** What deletes queues and exchanges: a Transport, or anything with the same two methods. */
export interface Deleter {
  deleteQueue(name: string): Promise<unknown>;
  deleteExchange(name: string): Promise<unknown>;
}

/**
 * Deletes the queues, then the exchanges; a name that does not exist (never declared, or already
 * deleted) is not an error. Resolves to the names it could not delete, for the caller to report.
 */
export async function deleteDeclared(deleter: Deleter, names: Partial<DeclaredNames>): Promise<string[]> {
  const failed: string[] = [];
  for (const queue of new Set(names.queues ?? []))
    await deleter.deleteQueue(queue).catch(() => failed.push(queue));
  for (const exchange of new Set(names.exchanges ?? []))
    await deleter.deleteExchange(exchange).catch(() => failed.push(exchange));
  return failed;
}
