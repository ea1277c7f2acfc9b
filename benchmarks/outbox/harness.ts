// The measuring part of the outbox benchmarks: scenario, case and result types, unique PostgreSQL
// names and their cleanup, pools whose SQL round trips are counted (the CPU meter is in machine.ts).
//
// Like benchmarks/amqp (whose names, admin connection, pump and statistics this reuses), everything
// here is I/O bound and measured in wall-clock time against the real servers. Like benchmarks/dispatch,
// every repetition runs in a fresh child process (see run.ts for why); the parent prepares (tables,
// queues, outbox rows), runs the child, and checks what it did.
import pg from 'pg';
import type { Pool, PoolClient } from 'pg';
import type { Admin, Names } from '../amqp/admin.js';
import type { MysqlSide } from './adapters.js';
import type { CpuSample, MachineReport } from './machine.js';

export const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test';

/** What the children need to know of the run: plain JSON, passed on their command line. */
export interface RunOptions {
  readonly quick: boolean;
  /** Messages each relay and direct repetition measures. */
  readonly rows: number;
  /** The relay's batch sizes to measure; the first is the default one. */
  readonly batchSizes: readonly number[];
  /** Relays of the extra case that runs several in one process (1: no such case). */
  readonly relays: number;
  /** `--adapters`: the adapter scenario's selection (see adapters.ts); undefined for all. */
  readonly adapters?: readonly string[];
}

/** Names of the tables, queues and exchanges a scenario created (plain JSON, for its children). */
export type Setup = Readonly<Record<string, string>>;

/** The parent process's side: where it prepares and checks. */
export interface ParentContext {
  readonly names: Names;
  readonly pgNames: PgNames;
  readonly admin: Admin;
  /** The harness's own pool (DDL, filling, checks), never one a case is measured on. */
  readonly adminPool: Pool;
  /** MariaDB/MySQL, for the scenarios that compare it with PostgreSQL (opened on first use). */
  readonly mysql: MysqlSide;
  readonly options: RunOptions;
  log(line: string): void;
}

/** What one repetition measured, as the child hands it to the parent (JSON). */
export interface Repetition {
  /** Flushes or messages per second (wall clock). */
  readonly rate: number;
  /** CPU time of the child per flush or message, in µs. */
  readonly cpuUs: number;
  /** Flushes or messages measured. */
  readonly units: number;
  /** SQL round trips by kind over the measured units. */
  readonly kinds: [string, number][];
  /** Flush cases: round trips of one flush → how many flushes took that many. */
  readonly perUnit?: [number, number][];
  readonly phases?: RelayPhases;
  readonly cpuSample?: CpuSample;
}

export interface CaseSpec {
  readonly label: string;
  /** A relay case: its rows show the relay's phases. */
  readonly relay?: boolean;
  /** In the parent before each repetition, not timed (e.g. writing the outbox rows). */
  before?(context: ParentContext, setup: Setup): Promise<void>;
  /** One repetition, in a fresh child process. */
  measure(setup: Setup, options: RunOptions): Promise<Repetition>;
  /** In the parent after each repetition: checks what the child did; throwing fails the repetition. */
  after?(context: ParentContext, setup: Setup): Promise<void>;
}

export interface Scenario {
  /** The file name without extension: `flush` or `relay`. */
  readonly id: string;
  /** Parent: creates the scenario's tables, exchanges and queues; the children get the result. */
  setUp(context: ParentContext): Promise<Setup>;
  /** The cases, built alike in the parent and in every child (which picks one by its index). */
  cases(setup: Setup, options: RunOptions): CaseSpec[];
  /** Parent: the tables and verdicts from the measured rows. */
  result(rows: Row[], options: RunOptions, machine: MachineReport): ScenarioResult;
}

/** One line of a result table: one value per repetition (each in its own process). */
export interface Row {
  readonly label: string;
  /** Flushes/s or messages/s (wall clock), one per repetition. */
  readonly values: number[];
  /** CPU time of the measuring process per flush or per message, in µs, one per repetition. */
  readonly cpu: number[];
  /**
   * CPU time of RabbitMQ and of the databases (PostgreSQL and MariaDB/MySQL together) per flush or per
   * message over the same stretch, in µs, one per repetition that could read them (Linux, local servers).
   */
  readonly broker: number[];
  readonly database: number[];
  /** SQL round trips per flush or per message, by kind of statement, summed over the repetitions. */
  readonly roundTrips: RoundTripTally;
  /** Relay rows: time spent in each phase of its batches, summed over the repetitions. */
  readonly phases?: RelayPhases;
  /** Errors of failed repetitions (the row still shows the ones that worked). */
  readonly errors: string[];
}

export interface RelayPhases {
  batches: number;
  claimMs: number;
  markMs: number;
  /** Between the claim's result and the markPublished call: publishing the batch, waiting for confirms. */
  publishMs: number;
}

export interface RoundTripTally {
  /** Flushes, or messages, the counts were taken over. */
  units: number;
  /** Repetitions the counts were taken over. */
  repetitions: number;
  /** Round trips by kind (`BEGIN`, `outbox INSERT`, `claim`…). */
  readonly byKind: Map<string, number>;
  /** Flush rows: how many flushes took exactly n round trips (proves the count is per flush, not an average). */
  readonly perUnit: Map<number, number>;
}

export interface GoalVerdict {
  readonly description: string;
  readonly met: boolean;
  readonly detail: string;
}

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly notes: readonly string[];
  /** Header of the value column, e.g. `flushes/s`. */
  readonly unit: string;
  /** What one unit is, for the per-unit columns: `flush` or `msg`. */
  readonly per: string;
  /** Label of the row every other row is compared with. */
  readonly baseline: string;
  /** Header of the ratio column, after the `×` (default: `no outbox` for flushes, `send` otherwise). */
  readonly ratioTo?: string;
  readonly rows: readonly Row[];
  readonly goals: readonly GoalVerdict[];
  readonly machine: MachineReport;
  /** Lines printed after the table (e.g. a per-adapter comparison). */
  readonly summary?: readonly string[];
}

export function newRow(testCase: CaseSpec): Row {
  const roundTrips: RoundTripTally = { units: 0, repetitions: 0, byKind: new Map(), perUnit: new Map() };
  const row: Row = {
    label: testCase.label,
    values: [],
    cpu: [],
    broker: [],
    database: [],
    roundTrips,
    errors: [],
  };
  return testCase.relay === true
    ? { ...row, phases: { batches: 0, claimMs: 0, markMs: 0, publishMs: 0 } }
    : row;
}

/** Adds a repetition to its row. */
export function record(row: Row, repetition: Repetition): void {
  row.values.push(repetition.rate);
  row.cpu.push(repetition.cpuUs);
  const sample = repetition.cpuSample;
  if (sample !== undefined && repetition.units > 0) {
    row.broker.push((sample.broker * 1e6) / repetition.units);
    row.database.push(((sample.postgres + sample.mysql) * 1e6) / repetition.units);
  }
  const tally = row.roundTrips;
  tally.units += repetition.units;
  tally.repetitions++;
  for (const [kind, count] of repetition.kinds) tally.byKind.set(kind, (tally.byKind.get(kind) ?? 0) + count);
  for (const [trips, count] of repetition.perUnit ?? []) {
    tally.perUnit.set(trips, (tally.perUnit.get(trips) ?? 0) + count);
  }
  if (row.phases !== undefined && repetition.phases !== undefined) {
    row.phases.batches += repetition.phases.batches;
    row.phases.claimMs += repetition.phases.claimMs;
    row.phases.markMs += repetition.phases.markMs;
    row.phases.publishMs += repetition.phases.publishMs;
  }
}

// ---------------------------------------------------------------------------------------------------
// PostgreSQL names: unique per run (derived from the broker names' prefix), dropped at the end.

export class PgNames {
  /** e.g. `tbench_m3k9x2_a1b2`: a valid PgOutbox table name, short enough for its `_retention_idx`. */
  readonly prefix: string;
  readonly tables = new Set<string>();

  constructor(names: Names) {
    this.prefix = names.prefix.replaceAll('-', '_');
  }

  /** A table name of this run, recorded to be dropped. */
  table(suffix: string): string {
    const name = `${this.prefix}_${suffix}`;
    this.tables.add(name);
    return name;
  }

  /** Drops every table of the run (PgOutbox's token sequence is owned by its table). Never throws. */
  async dropAll(pool: Pool, log: (line: string) => void): Promise<void> {
    let dropped = 0;
    for (const table of this.tables) {
      try {
        await pool.query(`DROP TABLE IF EXISTS "${table}"`);
        await pool.query(`DROP SEQUENCE IF EXISTS "${table}_token_seq"`);
        dropped++;
      } catch (error) {
        log(`cleanup FAILED for table ${table}: ${String(error)}`);
      }
    }
    log(`cleanup: dropped ${dropped} PostgreSQL tables`);
  }
}

export function createPool(name: string): Pool {
  const pool = new pg.Pool({
    connectionString: DATABASE_URL,
    max: 10,
    connectionTimeoutMillis: 10_000,
    application_name: name,
  });
  // An idle client whose connection dies emits on the pool; the case that uses it fails on its own.
  pool.on('error', () => {});
  return pool;
}

// ---------------------------------------------------------------------------------------------------
// Round trips: every `client.query` call of a pool's clients (`pool.query` goes through one too).
// node-postgres sends one query at a time per client and waits for its result, so one call is one
// round trip, whatever the SQL holds.

export class RoundTripCounter {
  total = 0;
  readonly byKind = new Map<string, number>();

  /** Counts the queries of every client `pool` creates from now on. */
  attach(pool: Pool): void {
    const count = (sql: string): void => this.#count(sql);
    pool.on('connect', (client: PoolClient) => {
      const original = client.query;
      (client as { query: unknown }).query = function (this: PoolClient, ...args: unknown[]) {
        const first = args[0];
        count(typeof first === 'string' ? first : String((first as { text?: unknown })?.text));
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
    });
  }

  /** Kinds and counts since `since` (a copy of `byKind` taken earlier). */
  since(since: ReadonlyMap<string, number>): Map<string, number> {
    const diff = new Map<string, number>();
    for (const [kind, count] of this.byKind) {
      const delta = count - (since.get(kind) ?? 0);
      if (delta > 0) diff.set(kind, delta);
    }
    return diff;
  }

  #count(sql: string): void {
    this.total++;
    const kind = kindOf(sql);
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
  }
}

/** The statements tidings and the benchmark issue, named for the report (unknown ones by their start). */
function kindOf(sql: string): string {
  const text = sql.trimStart();
  if (/^BEGIN\b/i.test(text)) return 'BEGIN';
  if (/^COMMIT\b/i.test(text)) return 'COMMIT';
  if (/^ROLLBACK\b/i.test(text)) return 'ROLLBACK';
  if (text.startsWith('WITH added AS')) return 'outbox INSERT';
  if (text.startsWith('WITH due AS')) return 'claim';
  if (/^UPDATE\b[^]*\bSET published_at = now\(\)/.test(text)) return 'markPublished';
  if (text.startsWith(BUSINESS_INSERT_START)) return 'business INSERT';
  if (/^(UN)?LISTEN\b/.test(text)) return 'LISTEN';
  if (/^DELETE FROM\b/.test(text)) return 'deletePublished';
  if (
    /^UPDATE\b[^]*\bSET lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL\s+WHERE lease_owner = \$1 AND/.test(
      text,
    )
  )
    return 'release';
  if (/^SELECT p\.pending\b/.test(text)) return 'stats';
  return text.slice(0, 30).replaceAll(/\s+/g, ' ');
}

const BUSINESS_INSERT_START = 'INSERT INTO';

export { CpuMeter, MachineTotals, type CpuSample, type MachineReport } from './machine.js';
