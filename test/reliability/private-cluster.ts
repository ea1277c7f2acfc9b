// A RabbitMQ cluster of the test's own: three nodes started from the installed broker beside the
// machine's shared one, each with its own node name, AMQP and distribution ports, data and log directory,
// and one Erlang cookie of their own (so `rabbitmqctl` of this cluster cannot reach the shared node, nor
// the reverse). Every `rabbitmqctl` call names its node with `-n`. A node is killed with SIGKILL by the
// OS pid of its Erlang VM (the pid file RabbitMQ writes), as an OOM kill or a lost machine would.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, rabbitmqUser } from './private-broker.js';

const run = promisify(execFile);

export interface ClusterNode {
  readonly nodeName: string;
  /** amqp://guest:guest@127.0.0.1:<port> */
  readonly url: string;
  /** The OS pid of the node's Erlang VM, while it runs. */
  pid(): number | undefined;
  /** SIGKILLs the node's VM; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts a killed node again; resolves once it has booted and rejoined its cluster. */
  restart(): Promise<void>;
}

/** A quorum queue as its leader counts it (`rabbit_amqqueue:info`). */
export interface QuorumQueueCounts {
  messages: number;
  ready: number;
  unacknowledged: number;
  /**
   * Messages the queue dead-lettered at least once (`x-dead-letter-strategy: at-least-once`) that its
   * dead-letter worker has not yet had confirmed by the target: counted in `messages`, not in `ready`.
   * `rabbitmqctl list_queues` of RabbitMQ 3.10 does not show this column.
   */
  deadLetterBacklog: number;
  leader: string;
}

/** What `restartDeadLetterWorker` found on the queue's leader before it killed the worker. */
export interface DeadLetterWorkerRestart {
  node: string;
  /** Dead letters the worker had taken from the queue and not had confirmed by the target yet. */
  pending: number;
  /** Of those, the ones the target queue rejected (retried only every 180 s by RabbitMQ 3.10). */
  rejected: number;
}

export interface PrivateCluster {
  readonly nodes: readonly ClusterNode[];
  /** Every node's URL, first node first: the `url` list of a transport. */
  readonly urls: string[];
  /** `rabbitmqctl` on one of the running nodes; resolves to its stdout. */
  ctl(...args: string[]): Promise<string>;
  /** The counts of a quorum queue of the default vhost; `undefined` when it does not exist. */
  quorumQueue(name: string): Promise<QuorumQueueCounts | undefined>;
  /**
   * Kills the at-least-once dead-letter worker (`rabbit_fifo_dlx_worker`) of a quorum queue on the node of
   * the queue's leader; its supervisor starts a new one, which takes the queue's dead-letter backlog again
   * (an operator's remedy for the RabbitMQ 3.10 stall after a leader change, docs/cluster.md).
   */
  restartDeadLetterWorker(name: string): Promise<DeadLetterWorkerRestart>;
  /** Stops every node (killing those that do not stop) and deletes their data. */
  shutdown(): Promise<void>;
}

const START_TIMEOUT_S = 90;

interface NodeSpec {
  nodeName: string;
  home: string;
  env: NodeJS.ProcessEnv;
  url: string;
}

/** `rabbit_misc:r(<<"/">>, queue, <<"name">>)`, for names that need no quoting in Erlang. */
function queueResource(name: string): string {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`queue name ${name} needs quoting`);
  return `rabbit_misc:r(<<"/">>, queue, <<"${name}">>)`;
}

/** Starts `size` nodes and clusters them with the first one. */
export async function startPrivateCluster(size = 3): Promise<PrivateCluster> {
  const directory = mkdtempSync(join(tmpdir(), 'tidings-cluster-'));
  const owner = await rabbitmqUser();
  if (owner) chownSync(directory, owner.uid, owner.gid);
  const prefix = `tidings-${randomUUID().slice(0, 6)}`;
  const cookie = randomBytes(16).toString('hex').toUpperCase();
  const cookieArgs = `-setcookie ${cookie}`;
  const names = Array.from({ length: size }, (_, index) => `${prefix}-${index + 1}@localhost`);
  // Classic peer discovery: a node booting with the others listed joins the first one it reaches, so the
  // cluster forms while the nodes boot (no stop_app / join_cluster / start_app round, which is slower).
  const discovery = [
    'cluster_formation.peer_discovery_backend = classic_config',
    ...names.map((name, index) => `cluster_formation.classic_config.nodes.${index + 1} = ${name}`),
    'cluster_formation.randomized_startup_delay_range.min = 0',
    'cluster_formation.randomized_startup_delay_range.max = 1',
  ].join('\n');
  const specs: NodeSpec[] = [];
  for (let index = 0; index < size; index++) {
    const home = join(directory, `node${index + 1}`);
    mkdirSync(home);
    const nodeName = names[index]!;
    const [amqpPort, distPort] = [await freePort(), await freePort()];
    writeFileSync(
      join(home, 'rabbitmq.conf'),
      // The package's /etc/rabbitmq/rabbitmq.conf names the shared node's listener: each node gets its own.
      `listeners.tcp.local = 127.0.0.1:${amqpPort}\nloopback_users = none\n${discovery}\n`,
    );
    writeFileSync(join(home, 'enabled_plugins'), '[].\n');
    if (owner) {
      for (const name of ['', 'rabbitmq.conf', 'enabled_plugins'])
        chownSync(join(home, name), owner.uid, owner.gid);
    }
    const env = {
      ...process.env,
      HOME: home,
      RABBITMQ_NODENAME: nodeName,
      RABBITMQ_CONFIG_FILE: join(home, 'rabbitmq.conf'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(home, 'enabled_plugins'),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: join(home, 'mnesia'),
      RABBITMQ_LOG_BASE: join(home, 'log'),
      RABBITMQ_PID_FILE: join(home, 'rabbitmq.pid'),
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: cookieArgs,
      RABBITMQ_CTL_ERL_ARGS: cookieArgs,
    };
    specs.push({ nodeName, home, env, url: `amqp://guest:guest@127.0.0.1:${amqpPort}` });
  }
  const ctlOn = async (spec: NodeSpec, ...args: string[]) =>
    (await run('rabbitmqctl', ['-n', spec.nodeName, ...args], { env: spec.env, timeout: 120_000 })).stdout;
  const pidOf = (spec: NodeSpec): number | undefined => {
    try {
      const pid = Number(readFileSync(join(spec.home, 'rabbitmq.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  const alive = (pid: number | undefined) => {
    if (pid === undefined) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const killed = new Set<string>();
  const boot = async (spec: NodeSpec) => {
    await run('rabbitmq-server', ['-detached'], { env: spec.env, timeout: 60_000 });
    await ctlOn(spec, 'wait', '--timeout', String(START_TIMEOUT_S), join(spec.home, 'rabbitmq.pid'));
    await ctlOn(spec, 'await_startup', '--timeout', String(START_TIMEOUT_S));
  };
  const shutdown = async () => {
    await Promise.all(
      specs.map(async (spec) => {
        const pid = pidOf(spec);
        if (!alive(pid)) return;
        await ctlOn(spec, 'stop').catch(() => {});
        if (alive(pid)) process.kill(pid!, 'SIGKILL');
      }),
    );
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    // The first node forms the cluster; the others join it one after the other. Two nodes joining at
    // once can hang RabbitMQ 3.10 for good (the second stops after "Feature flags: feature flag states
    // written to disk" while the first enables its feature flags; seen in 2 of 6 loaded runs).
    for (const spec of specs) await boot(spec);
    const status = JSON.parse(await ctlOn(specs[0]!, 'cluster_status', '--formatter', 'json')) as {
      running_nodes: string[];
    };
    if (status.running_nodes.length !== size) {
      throw new Error(`the cluster formed with ${status.running_nodes.join(', ')} only`);
    }
  } catch (error) {
    await shutdown();
    throw new Error(`could not start a private RabbitMQ cluster (logs under ${directory})`, { cause: error });
  }
  const nodes: ClusterNode[] = specs.map((spec) => ({
    nodeName: spec.nodeName,
    url: spec.url,
    pid: () => (killed.has(spec.nodeName) ? undefined : pidOf(spec)),
    async kill() {
      const pid = pidOf(spec);
      if (pid === undefined) throw new Error(`no pid for ${spec.nodeName}`);
      killed.add(spec.nodeName);
      process.kill(pid, 'SIGKILL');
      while (alive(pid)) await new Promise((resolve) => setTimeout(resolve, 10));
    },
    async restart() {
      rmSync(join(spec.home, 'rabbitmq.pid'), { force: true });
      await boot(spec);
      killed.delete(spec.nodeName);
    },
  }));
  const anyRunning = () => specs.find((candidate) => !killed.has(candidate.nodeName))!;
  const quorumQueue = async (name: string): Promise<QuorumQueueCounts | undefined> => {
    const info = await ctlOn(
      anyRunning(),
      'eval',
      `case rabbit_amqqueue:lookup(${queueResource(name)}) of ` +
        '{ok, Q} -> I = rabbit_amqqueue:info(Q, [messages, messages_ready, messages_unacknowledged, messages_dlx, leader]), ' +
        'list_to_tuple([proplists:get_value(K, I) || K <- [messages, messages_ready, messages_unacknowledged, messages_dlx, leader]]); ' +
        '_ -> not_found end.',
    );
    const compact = info.replace(/\s+/g, '');
    if (compact === 'not_found') return undefined;
    // A tuple: rabbitmqctl prints a list of small integers as a string.
    const match = /^\{(\d+),(\d+),(\d+),(\d+),'?([^',}]+)'?\}$/.exec(compact);
    if (match === null) throw new Error(`unexpected counts of queue ${name}: ${info}`);
    const [messages, ready, unacknowledged, deadLetterBacklog] = match.slice(1, 5).map(Number);
    return {
      messages: messages!,
      ready: ready!,
      unacknowledged: unacknowledged!,
      deadLetterBacklog: deadLetterBacklog!,
      leader: match[5]!,
    };
  };
  return {
    nodes,
    urls: specs.map((spec) => spec.url),
    async ctl(...args: string[]) {
      return ctlOn(anyRunning(), ...args);
    },
    quorumQueue,
    async restartDeadLetterWorker(name: string) {
      const counts = await quorumQueue(name);
      const leader = specs.find((spec) => spec.nodeName === counts?.leader && !killed.has(spec.nodeName));
      if (leader === undefined)
        throw new Error(`no running leader for queue ${name}: ${JSON.stringify(counts)}`);
      // The worker of this queue among the node's workers, by the queue in its state (RabbitMQ 3.10's
      // format_status), with how many of its forwards await a confirm and how many were rejected.
      const found = await ctlOn(
        leader,
        'eval',
        `Q = ${queueResource(name)}, ` +
          'Ws = [{P, S} || {_, P, _, _} <- supervisor:which_children(rabbit_fifo_dlx_sup), is_pid(P), ' +
          '{status, _, _, [_, _, _, _, Items]} <- [sys:get_status(P)], ' +
          '{data, [{"State", #{queue_ref := Ref} = S}]} <- Items, Ref =:= Q], ' +
          'Out = [{maps:size(maps:get(pendings, S)), ' +
          'length([x || #{rejected := [_ | _]} <- maps:values(maps:get(pendings, S))])} || {_, S} <- Ws], ' +
          '[exit(P, kill) || {P, _} <- Ws], Out.',
      );
      const match = /^\[\{(\d+),(\d+)\}\]$/.exec(found.replace(/\s+/g, ''));
      if (match === null)
        throw new Error(`expected one dead-letter worker of ${name} on ${leader.nodeName}: ${found}`);
      return { node: leader.nodeName, pending: Number(match[1]), rejected: Number(match[2]) };
    },
    shutdown,
  };
}
