// The preflight of the tests that need servers: are RabbitMQ, Redis, PostgreSQL and MySQL answering where
// AMQP_URL, REDIS_URL, DATABASE_URL and MYSQL_URL (or the local defaults) say? Without it, a missing server shows up
// as a test file retrying its connection for a minute, then failing with a driver error.
//
// Two roles: the vitest globalSetup of the `integration` project (the default export), and a command run
// by `npm test` before the build (`tsx test/setup/check-servers.ts`), so that the run fails within
// seconds, not after a build. Either way ONE message lists every server that does not answer.
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVERS } from '../integration/servers.js';
import { added, kept, leftoversMessage, snapshot } from './leftovers.js';

/** Per server, all checked at once: a local server answers in milliseconds, a firewalled one never. */
const TIMEOUT_MS = 1_500;

const DEFAULT_PORTS: Record<string, number> = {
  'amqp:': 5672,
  'amqps:': 5671,
  'redis:': 6379,
  'rediss:': 6379,
  'postgres:': 5432,
  'postgresql:': 5432,
  'mysql:': 3306,
};

type Target = { host: string; port: number } | { path: string };

/** What to connect to; PostgreSQL URLs may name a Unix socket directory (`?host=/var/run/postgresql`). */
function targetOf(url: URL): Target {
  const port = url.port ? Number(url.port) : (DEFAULT_PORTS[url.protocol] ?? 0);
  const host = url.searchParams.get('host') || decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1');
  if (host.startsWith('/')) return { path: `${host}/.s.PGSQL.${port}` };
  return { host: host || 'localhost', port };
}

/** The URL as it may be printed: never a password, nor a query string (Redis takes `?password=`). */
export function redactUrl(url: URL): string {
  let user = '';
  if (url.password) user = `${url.username}:***@`;
  // A Redis URL's lone user name may be the password (`redis://secret@host`).
  else if (url.username) user = url.protocol.startsWith('redis') ? '***@' : `${url.username}@`;
  return `${url.protocol}//${user}${url.host}${url.pathname}${url.search ? '?***' : ''}`;
}

/** Resolves to undefined once the TCP connection is accepted, or to why it was not. */
function probe(target: Target): Promise<string | undefined> {
  return new Promise((done) => {
    const socket = connect(target);
    const finish = (reason?: string) => {
      clearTimeout(timer);
      socket.destroy();
      done(reason);
    };
    const timer = setTimeout(() => finish(`no answer within ${TIMEOUT_MS / 1000} s`), TIMEOUT_MS);
    socket.once('connect', () => finish());
    socket.once('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
  });
}

/** One line per server that does not answer, with how to fix it; empty when all answer. */
export async function missingServers(): Promise<string[]> {
  const checks = SERVERS.map(async ({ name, variable, url, isDefault }) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return `  ${name}: ${variable} is not a valid URL (its value is not shown: it may hold a password)`;
    }
    const reason = await probe(targetOf(parsed));
    if (reason === undefined) return undefined;
    const where = `${redactUrl(parsed)} (${isDefault ? `the default; ${variable} is not set` : variable})`;
    const fix = isDefault
      ? '`npm run services` starts it'
      : `start it, fix ${variable}, or unset ${variable} for the local server (\`npm run services\`)`;
    return `  ${name} at ${where}: ${reason}. To fix: ${fix}.`;
  });
  return (await Promise.all(checks)).filter((line): line is string => line !== undefined);
}

export function missingServersMessage(lines: readonly string[]): string {
  return [
    `The integration tests need ${lines.length === 1 ? 'a server that does' : 'servers that do'} not answer:`,
    ...lines,
    '`npm run test:unit` runs the tests that need no server.',
  ].join('\n');
}

/** Prints the message alone and ends the process with exit code 1 once stderr has taken it. */
function exitWith(lines: readonly string[]): Promise<never> {
  return new Promise(() =>
    process.stderr.write(`\n${missingServersMessage(lines)}\n\n`, () => process.exit(1)),
  );
}

/** How long a leftover must stay to count as one. */
const RECHECK_AFTER_MS = 10_000;

/** Exits (code 1) with one message when a server does not answer. */
export async function preflight(): Promise<void> {
  const lines = await missingServers();
  if (lines.length > 0) await exitWith(lines);
}

/**
 * vitest globalSetup, run before any file of the project starts. It exits rather than throws: vitest
 * reports a failed global setup under "No test files found", which sends a newcomer the wrong way.
 * Then it lists the tests' objects on the servers (./leftovers.ts); its teardown, once every file has
 * run, lists them again and fails the run on any new one.
 */
export default async function setup(): Promise<() => Promise<void>> {
  await preflight();
  const before = await snapshot();
  for (const reason of before.skipped) {
    process.stderr.write(`\nNot checked for leftovers of the tests: ${reason}.\n`);
  }
  return async () => {
    let leftovers = added(before.inventory, (await snapshot()).inventory);
    if (leftovers.size === 0) return;
    // Only what stays: objects of another run on the same servers (a dev machine) come and go.
    await new Promise((done) => setTimeout(done, RECHECK_AFTER_MS));
    leftovers = kept(leftovers, (await snapshot()).inventory);
    if (leftovers.size === 0) return;
    process.stderr.write(`\n${leftoversMessage(leftovers)}\n\n`);
    // vitest logs an error thrown by a teardown but keeps the exit code of the tests.
    process.exitCode = 1;
  };
}

// Run as a command (tsx test/setup/check-servers.ts), as `npm test` does before it builds.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await preflight();
}
