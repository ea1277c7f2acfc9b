/**
 * Where the integration tests find the real servers: every test and fixture reads the addresses from
 * here, so that AMQP_URL, REDIS_URL, DATABASE_URL and MYSQL_URL move all of them at once. The defaults are the
 * local servers that `npm run services` starts.
 */
export const DEFAULT_URLS = {
  AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
  REDIS_URL: 'redis://127.0.0.1:6379',
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test',
  MYSQL_URL: 'mysql://root@127.0.0.1:3306/test',
} as const;

export type ServerVariable = keyof typeof DEFAULT_URLS;

/** The variable's value, or the local default when it is unset or empty. */
function fromEnvironment(variable: ServerVariable): string {
  return process.env[variable] || DEFAULT_URLS[variable];
}

export const AMQP_URL = fromEnvironment('AMQP_URL');
export const REDIS_URL = fromEnvironment('REDIS_URL');
export const DATABASE_URL = fromEnvironment('DATABASE_URL');
/** MySQL or MariaDB, for tidings/mysql and the ORM adapters on MySQL. */
export const MYSQL_URL = fromEnvironment('MYSQL_URL');

/** A server the integration tests need, as the preflight (test/setup/check-servers.ts) checks it. */
export interface SharedServer {
  name: string;
  variable: ServerVariable;
  url: string;
  /** The variable is unset: the local server, which `npm run services` can start. */
  isDefault: boolean;
}

function server(name: string, variable: ServerVariable): SharedServer {
  return { name, variable, url: fromEnvironment(variable), isDefault: !process.env[variable] };
}

export const SERVERS: readonly SharedServer[] = [
  server('RabbitMQ', 'AMQP_URL'),
  server('Redis', 'REDIS_URL'),
  server('PostgreSQL', 'DATABASE_URL'),
  server('MySQL', 'MYSQL_URL'),
];

/** host and port of a URL, for the fault-injection proxy. */
export function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname || '127.0.0.1', port: parsed.port ? Number(parsed.port) : defaultPort };
}

/** The same server with another password: what a test of a refused login connects to. */
export function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password; // the setter percent-encodes what a password may not hold as is
  return parsed.href;
}
