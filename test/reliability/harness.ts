// Pieces shared by the reliability scenarios: a producer that records every attempt's outcome in a
// History, the classification of publish errors, and a recorder of how long each outage lasted.
import {
  ConnectionBlockedError,
  DeadLetters,
  type DeadLetter,
  ConnectionLostError,
  PublishNackedError,
  PublishTimeoutError,
  TransportClosedError,
  UnroutableError,
  type Transport,
} from '../../src/index.js';
import { AmqpTransport } from '../../src/rabbitmq.js';
import { sleep, waitFor, type Cleanups } from '../integration/faults/fault-helpers.js';
import type { CheckResult, History, Outcome } from './history.js';

/**
 * What a rejected publish says about the message. Unroutable: the broker returned it, no queue has it.
 * Everything else is unknown: a connection lost before the confirm or a timeout may hide a message the
 * broker took, and RabbitMQ does not promise that a nacked message reached no queue.
 */
export function outcomeOf(error: unknown): Outcome {
  if (error instanceof UnroutableError) return 'failed';
  if (
    error instanceof ConnectionBlockedError ||
    error instanceof ConnectionLostError ||
    error instanceof PublishTimeoutError ||
    error instanceof PublishNackedError ||
    error instanceof TransportClosedError
  )
    return 'unknown';
  throw new Error(`an unexpected publish error: ${String(error)}`, { cause: error });
}

/**
 * Publishes `ids` with at most `concurrency` publishes in flight (and at most `perSecond`, if given),
 * recording each attempt and outcome.
 * `onProgress` runs after each settled publish (a scenario injects its faults from there).
 */
export async function publishAll(
  ids: readonly string[],
  history: History,
  send: (id: string) => Promise<unknown>,
  options: {
    concurrency: number;
    perSecond?: number;
    onProgress?: (settled: number) => void;
    /** What a rejected publish says about the message, where the scenario knows better than `outcomeOf`. */
    outcome?: (error: unknown) => Outcome;
  },
): Promise<void> {
  let next = 0;
  let settled = 0;
  const startedAt = Date.now();
  const worker = async () => {
    while (next < ids.length) {
      const index = next++;
      const id = ids[index]!;
      // Paced, so that the faults of a scenario spread over the whole run rather than its first second.
      if (options.perSecond !== undefined) {
        const due = startedAt + (index * 1000) / options.perSecond;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      history.attempt(id);
      try {
        await send(id);
        history.settle(id, 'ok');
      } catch (error) {
        history.settle(id, (options.outcome ?? outcomeOf)(error));
      }
      options.onProgress?.(++settled);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
}

/** Measures each disconnected → connected gap of a transport: how long the outages lasted for it. */
export function watchOutages(transport: Transport): { readonly gapsMs: number[]; disconnects: number } {
  const state = { gapsMs: [] as number[], disconnects: 0 };
  let downSince: number | undefined;
  transport.on('disconnected', () => {
    state.disconnects++;
    downSince ??= Date.now();
  });
  transport.on('connected', () => {
    if (downSince !== undefined) state.gapsMs.push(Date.now() - downSince);
    downSince = undefined;
  });
  return state;
}

/** Median and maximum, rounded, for the figures table: `[p50, max]`. */
export function medianAndMax(values: readonly number[]): number[] {
  if (values.length === 0) return [];
  const sorted = [...values].sort((a, b) => a - b);
  // The lower median: with two values, the smaller one (the upper would repeat the maximum).
  return [Math.round(sorted[Math.floor((sorted.length - 1) / 2)]!), Math.round(sorted[sorted.length - 1]!)];
}

/**
 * A connection of the test's own, for declaring, inspecting and, at the end, deleting what a scenario's
 * subscriber declared: its queue and wait queues, the exchange, the app's dead-letter exchange and queue.
 */
export function adminTransport(
  url: string,
  names: { id: string; appId: string; queue: string; exchange: string },
  waitQueues: readonly string[],
  cleanups: Cleanups,
): AmqpTransport {
  const { id, appId, queue, exchange } = names;
  // Not named `${id}…`: scenario 1 has the broker close every connection whose name starts with the id.
  const admin = new AmqpTransport({ url, connectionName: `admin-${id}` });
  cleanups.add(() => admin.close());
  cleanups.add(async () => {
    for (const name of [queue, ...waitQueues, `${appId}.dead-letters`])
      await admin.deleteQueue(name).catch(() => {});
    for (const name of [exchange, `${appId}.dead-letter`]) await admin.deleteExchange(name).catch(() => {});
  });
  return admin;
}

/**
 * The end of a scenario that publishes and consumes one queue: waits until every confirmed message
 * arrived and the queue is empty, lets redeliveries still in flight land (they count as duplicates),
 * then checks the ledger and lists the app's dead letters.
 */
export async function drained(
  history: History,
  transport: Transport,
  { queue, appId, arrivalTimeoutMs }: { queue: string; appId: string; arrivalTimeoutMs: number },
): Promise<{ result: CheckResult; deadLetters: DeadLetter[] }> {
  await waitFor(() => history.allOkReceived, arrivalTimeoutMs, 'every confirmed message to arrive');
  await waitFor(
    async () => (await transport.queueStats(queue))?.messageCount === 0,
    30_000,
    'an empty queue',
  );
  await sleep(500);
  const deadLetters = await new DeadLetters(transport, { appId }).list();
  return { result: history.check(), deadLetters };
}
