// What the broker itself says about a queue, unacknowledged deliveries included. `queueStats()` (AMQP
// queue.declare passive) counts only ready messages; "nothing left unacked" needs `rabbitmqctl
// list_queues`, which asks the queue process. About half a second per call: for checkpoints, not polling.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface QueueCounts {
  ready: number;
  unacked: number;
  consumers: number;
}

/** The counts of `queue` on the local node, or `undefined` when it does not exist. */
export async function queueCounts(queue: string): Promise<QueueCounts | undefined> {
  const { stdout } = await run(
    'rabbitmqctl',
    [
      'list_queues',
      '--quiet',
      '--formatter',
      'json',
      'name',
      'messages_ready',
      'messages_unacknowledged',
      'consumers',
    ],
    { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  const rows = JSON.parse(stdout) as {
    name: string;
    messages_ready: number;
    messages_unacknowledged: number;
    consumers: number;
  }[];
  const row = rows.find((candidate) => candidate.name === queue);
  if (row === undefined) return undefined;
  return { ready: row.messages_ready, unacked: row.messages_unacknowledged, consumers: row.consumers };
}
