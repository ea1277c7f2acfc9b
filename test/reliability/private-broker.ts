// A RabbitMQ node of the test's own, started from the installed broker beside the machine's shared one:
// its own node name, ports, data and log directory. Scenario 2 stops and starts the RabbitMQ application
// on it, which on the shared node would drop every other test's connections too.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A port nothing listens on now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The id of the user RabbitMQ's scripts switch to when started as root, if there is one. */
export async function rabbitmqUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number((await run('id', ['-u', 'rabbitmq'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'rabbitmq'])).stdout.trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

export interface PrivateBroker {
  /** amqp://guest:guest@127.0.0.1:<port> */
  readonly url: string;
  readonly nodeName: string;
  /** `rabbitmqctl stop_app`: every connection drops; new ones are refused until `startApp`. */
  stopApp(): Promise<void>;
  /** `rabbitmqctl start_app`, resolving once the node accepts connections again. */
  startApp(): Promise<void>;
  /** Any other `rabbitmqctl` command on this node (a resource alarm: `set_vm_memory_high_watermark`). */
  rabbitmqctl(...args: string[]): Promise<void>;
  /** Stops the node and deletes its data. */
  shutdown(): Promise<void>;
}

export async function startPrivateBroker(): Promise<PrivateBroker> {
  const directory = mkdtempSync(join(tmpdir(), 'tidings-rabbit-'));
  const nodeName = `tidings-${randomUUID().slice(0, 8)}@localhost`;
  const [amqpPort, distPort] = [await freePort(), await freePort()];
  // The package's /etc/rabbitmq/rabbitmq.conf names the shared node's listener: this node gets its own.
  writeFileSync(
    join(directory, 'rabbitmq.conf'),
    `listeners.tcp.local = 127.0.0.1:${amqpPort}\nloopback_users = none\n`,
  );
  writeFileSync(join(directory, 'enabled_plugins'), '[].\n');
  const owner = await rabbitmqUser();
  if (owner)
    for (const name of ['', 'rabbitmq.conf', 'enabled_plugins'])
      chownSync(join(directory, name), owner.uid, owner.gid);

  const env = {
    ...process.env,
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_CONFIG_FILE: join(directory, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(directory, 'enabled_plugins'),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(directory, 'mnesia'),
    RABBITMQ_LOG_BASE: join(directory, 'log'),
    RABBITMQ_PID_FILE: join(directory, 'rabbitmq.pid'),
  };
  const ctl = async (...args: string[]) => {
    await run('rabbitmqctl', ['-n', nodeName, ...args], { env, timeout: 120_000 });
  };
  await run('rabbitmq-server', ['-detached'], { env, timeout: 60_000 });
  const shutdown = async () => {
    await ctl('stop').catch(() => {});
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    await ctl('wait', '--timeout', '90', join(directory, 'rabbitmq.pid'));
    await ctl('await_startup', '--timeout', '90');
  } catch (error) {
    await shutdown();
    throw new Error(`could not start a private RabbitMQ node (logs in ${directory}/log)`, { cause: error });
  }
  return {
    url: `amqp://guest:guest@127.0.0.1:${amqpPort}`,
    nodeName,
    stopApp: () => ctl('stop_app'),
    async startApp() {
      await ctl('start_app');
      await ctl('await_startup', '--timeout', '90');
    },
    rabbitmqctl: ctl,
    shutdown,
  };
}
