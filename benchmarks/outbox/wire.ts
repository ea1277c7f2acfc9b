// SQL round trips counted on the wire, for any driver: the adapter scenarios run over pg (two copies:
// the project's and @mikro-orm/postgresql's own), mysql2 and mariadb (MikroORM's and Prisma's MariaDB
// drivers), so wrapping one driver's `query` (as harness.ts's RoundTripCounter does for pg) would miss
// most of them, and mysql2's `execute` can hide a PREPARE round trip behind one call.
//
// A round trip is a turnaround on a database socket: the client writes after having received since
// its last write (or for the first time). Requests a driver pipelines before reading (pg's Parse, Bind,
// Execute, Sync of one query) count once, which is what they cost. The kind is read from the first
// request of the turnaround: PostgreSQL's Query ('Q') or Parse ('P') message, MySQL's COM_QUERY or
// COM_STMT_PREPARE packet carry the SQL text; anything else is named by its message type.
import { Socket } from 'node:net';

/** Messages the server never answers: they must not open a turnaround. */
const PG_NO_REPLY = new Set(['X']); // Terminate
const MYSQL_NO_REPLY = new Set([0x01, 0x19]); // COM_QUIT, COM_STMT_CLOSE

export class WireRoundTrips {
  total = 0;
  readonly byKind = new Map<string, number>();
  readonly #ports: ReadonlyMap<number, 'postgres' | 'mysql'>;
  readonly #classify: (sql: string) => string;

  /**
   * @param ports the servers' ports and what they speak (connections to other ports are ignored)
   * @param classify names a statement from its SQL text (e.g. `outbox INSERT`)
   */
  constructor(ports: ReadonlyMap<number, 'postgres' | 'mysql'>, classify: (sql: string) => string) {
    this.#ports = ports;
    this.#classify = classify;
  }

  /** From now on, in this process: every socket to one of the ports is counted. Call it once. */
  install(): void {
    const awaiting = new WeakMap<Socket, { awaiting: boolean }>();
    const original = Socket.prototype.write;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wrapper's `this` is the socket
    const counter = this;
    Socket.prototype.write = function (this: Socket, ...args: unknown[]): boolean {
      const protocol = this.remotePort === undefined ? undefined : counter.#ports.get(this.remotePort);
      const chunk = args[0];
      if (protocol !== undefined && Buffer.isBuffer(chunk) && chunk.length > 0) {
        let state = awaiting.get(this);
        if (state === undefined) {
          const fresh = { awaiting: false };
          state = fresh;
          awaiting.set(this, fresh);
          // First among the listeners: a driver's own 'data' listener often writes the next request
          // synchronously (pg's readyForQuery), which must count as a new turnaround.
          this.prependListener('data', () => void (fresh.awaiting = false));
        }
        const kind = protocol === 'postgres' ? pgKind(chunk) : mysqlKind(chunk);
        if (!state.awaiting && kind !== undefined) {
          state.awaiting = true;
          counter.total++;
          const name =
            kind.sql === undefined ? kind.name : `${kind.prefix ?? ''}${counter.#classify(kind.sql)}`;
          counter.byKind.set(name, (counter.byKind.get(name) ?? 0) + 1);
        }
      }
      return (original as (...a: unknown[]) => boolean).apply(this, args);
    };
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
}

interface Request {
  readonly sql?: string;
  readonly name: string;
  /** Before the statement's kind, e.g. `PREPARE ` for a prepare round trip. */
  readonly prefix?: string;
}

/** A frontend message: type byte, int32 length, body. Undefined for one that gets no reply. */
function pgKind(chunk: Buffer): Request | undefined {
  const type = String.fromCharCode(chunk[0]!);
  if (PG_NO_REPLY.has(type)) return undefined;
  if (type === 'Q') return { sql: cString(chunk, 5), name: 'query' };
  if (type === 'P') {
    // Parse: statement name, then the SQL text.
    const nameEnd = chunk.indexOf(0, 5);
    return { sql: cString(chunk, nameEnd + 1), name: 'parse' };
  }
  if (type === 'B') return { name: 'execute (prepared)' };
  // The startup message has no type byte (its int32 length starts with 0); 'p' answers the password
  // request: both are connecting, not a statement.
  if (chunk[0] === 0 || type === 'p') return { name: 'connect' };
  return { name: `pg message ${JSON.stringify(type)}` };
}

/** A packet: int24 length, sequence id, command byte, body. Undefined for one that gets no reply. */
function mysqlKind(chunk: Buffer): Request | undefined {
  if (chunk.length < 5) return { name: 'mysql packet' };
  const sequence = chunk[3]!;
  const command = chunk[4]!;
  // A reply within the handshake (sequence > 0) is part of connecting, not a command.
  if (sequence !== 0) return { name: 'connect' };
  if (MYSQL_NO_REPLY.has(command)) return undefined;
  const length = chunk.readUIntLE(0, 3);
  const text = () => chunk.toString('utf8', 5, Math.min(chunk.length, 4 + length));
  if (command === 0x03) return { sql: text(), name: 'query' };
  if (command === 0x16) return { sql: text(), name: 'prepare', prefix: 'PREPARE ' };
  if (command === 0x17) return { name: 'execute (prepared)' };
  if (command === 0x0e) return { name: 'ping' };
  if (command === 0x1f) return { name: 'reset connection' };
  return { name: `mysql command 0x${command.toString(16)}` };
}

function cString(chunk: Buffer, start: number): string {
  const end = chunk.indexOf(0, start);
  return chunk.toString('utf8', start, end < 0 ? chunk.length : end);
}
