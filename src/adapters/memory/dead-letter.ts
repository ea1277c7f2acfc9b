import type { BrokerDeathReason, DeathRecord, StoredMessage } from './stored-message.js';

/** Where a dead-lettered copy goes and why. */
export interface DeadLetterTarget {
  readonly queue: string;
  readonly reason: BrokerDeathReason;
  readonly exchange: string;
  readonly routingKey: string;
  readonly now: number;
}

/**
 * The copy RabbitMQ republishes when it dead-letters `message` from a queue: same body and properties,
 * the per-message `expiration` removed (so the copy does not expire again at once), and the death
 * history updated the way RabbitMQ does it: an entry for the same queue and reason has its count
 * incremented and moves to the front, otherwise a new entry is prepended.
 */
export function deadLetteredCopy(message: StoredMessage, target: DeadLetterTarget): StoredMessage {
  const { expiration, ...properties } = message.properties;
  const previous = message.deaths.find((d) => d.queue === target.queue && d.reason === target.reason);
  const record: DeathRecord = previous
    ? { ...previous, count: previous.count + 1 }
    : {
        queue: target.queue,
        reason: target.reason,
        count: 1,
        time: new Date(Math.floor(target.now / 1000) * 1000),
        exchange: message.exchange,
        routingKeys: [message.routingKey],
        originalExpiration: expiration,
      };
  const deaths = [record, ...message.deaths.filter((d) => d !== previous)];
  const firstDeath = message.firstDeath ?? record;
  return {
    exchange: target.exchange,
    routingKey: target.routingKey,
    content: message.content,
    properties: { ...properties, headers: { ...properties.headers, ...deathHeaders(deaths, firstDeath) } },
    ttlMs: undefined,
    deaths,
    firstDeath,
  };
}

/** `x-death` (newest first), `x-first-death-*` and (RabbitMQ 3.13+) `x-last-death-*`. */
function deathHeaders(deaths: readonly DeathRecord[], first: DeathRecord): Record<string, unknown> {
  const last = deaths[0] ?? first;
  return {
    'x-death': deaths.map((d) => ({
      count: d.count,
      reason: d.reason,
      queue: d.queue,
      time: new Date(d.time.getTime()),
      exchange: d.exchange,
      'routing-keys': [...d.routingKeys],
      ...(d.originalExpiration === undefined ? {} : { 'original-expiration': d.originalExpiration }),
    })),
    'x-first-death-reason': first.reason,
    'x-first-death-queue': first.queue,
    'x-first-death-exchange': first.exchange,
    'x-last-death-reason': last.reason,
    'x-last-death-queue': last.queue,
    'x-last-death-exchange': last.exchange,
  };
}

/**
 * RabbitMQ drops a dead-lettered message instead of delivering it to a queue it already died in, when
 * no rejection happened in between: such a cycle (a queue with a TTL dead-lettering to itself, say)
 * would otherwise spin forever. A cycle with a rejection in it is a consumer's decision and is allowed.
 */
export function isDeathCycle(targetQueue: string, deaths: readonly DeathRecord[]): boolean {
  const index = deaths.findIndex((d) => d.queue === targetQueue);
  if (index < 0) return false;
  return deaths.slice(0, index + 1).every((d) => d.reason !== 'rejected');
}
