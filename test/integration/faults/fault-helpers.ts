// Shared by the fault-injection tests: unique names, cleanup, polling, and a proxy to a real server.
import { randomUUID } from 'node:crypto';
import { TcpProxy } from '../../helpers/tcp-proxy.js';
import { hostPort } from '../servers.js';
import { waitFor as pollUntil } from '../../helpers/wait-for.js';

/** Unique names for one test: every queue and exchange declared under them is deleted afterwards. */
export function uniqueNames(label: string) {
  const id = `fault-${label}-${randomUUID().slice(0, 8)}`;
  return {
    id,
    appId: `${id}-app`,
    exchange: id,
    queue: `${id}.queue`,
    routingKey: `${id}.happened`,
  };
}

/** `waitFor` of test/helpers, with the longer default a fault (a reconnect, a restart) needs: 10 s. */
export function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  return pollUntil(probe, timeoutMs, what);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A proxy to the server of `url`; `url` rewritten to go through it. */
export async function proxyTo(url: string, defaultPort: number): Promise<{ proxy: TcpProxy; url: string }> {
  const { host, port } = hostPort(url, defaultPort);
  const proxy = await TcpProxy.start(host, port);
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  return { proxy, url: proxied.toString().replace(/\/$/, '') };
}

/** Cleanups run in reverse order of registration; each one's failure is ignored. */
export class Cleanups {
  readonly #steps: (() => unknown)[] = [];

  add(step: () => unknown): void {
    this.#steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) {
      try {
        await step();
      } catch {
        // Best effort: the test's own assertions have already run.
      }
    }
  }
}

/** Counts of how many times each id occurs. */
export function tally(ids: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}
