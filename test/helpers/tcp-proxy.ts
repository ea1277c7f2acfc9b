import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real server (RabbitMQ, Redis) for fault injection: `cut()` drops every
 * connection as a broker restart or a network failure would; `pause()` refuses new connections until
 * `resume()`; `freeze()` makes the open connections silently dead, as a frozen network path would.
 * Only the test's own connections go through it, so other tests are not disturbed.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  /** Sockets of frozen connections: a close on one side is not passed on to the other. */
  readonly #frozen = new WeakSet<Socket>();
  #accepting = true;
  /** Set by `cutOnClientBytes()` until it has cut. */
  #trap: { marker: Buffer; tails: WeakMap<Socket, Buffer>; sprung: () => void } | undefined;
  port = 0;
  /** Connections accepted since the start, those dropped by `pause()` included: connection attempts. */
  accepted = 0;

  private constructor(
    readonly targetHost: string,
    readonly targetPort: number,
  ) {
    this.#server = createServer((client) => this.#onClient(client));
  }

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.#server.address() as { port: number }).port;
    return proxy;
  }

  /** Connections currently open through the proxy (client and server side each count once). */
  get connections(): number {
    return this.#sockets.size / 2;
  }

  /** Destroys every open connection. */
  cut(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  /** New connections are dropped at once until `resume()`; open ones are cut. */
  pause(): void {
    this.#accepting = false;
    this.cut();
  }

  /**
   * Every open connection stops forwarding in both directions, without closing: no FIN, no RST, the
   * bytes stay in the buffers, and a side that closes is not told to the other (a frozen network path,
   * a NAT entry dropped, a VM paused). New connections are forwarded as usual. Returns how many froze.
   */
  freeze(): number {
    const sockets = [...this.#sockets].filter((socket) => !this.#frozen.has(socket));
    for (const socket of sockets) {
      this.#frozen.add(socket);
      socket.unpipe();
      socket.pause();
    }
    return sockets.length / 2;
  }

  /**
   * Cuts every connection the first time a client sends bytes containing `marker`, once (whether the
   * server still gets those bytes is left to chance): a connection lost at a chosen point of its
   * conversation, a queue declaration say. Resolves when it has cut.
   */
  cutOnClientBytes(marker: string): Promise<void> {
    return new Promise((sprung) => {
      this.#trap = { marker: Buffer.from(marker), tails: new WeakMap(), sprung };
    });
  }

  resume(): void {
    this.#accepting = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #onClient(client: Socket): void {
    this.accepted++;
    if (!this.#accepting) {
      client.destroy();
      return;
    }
    const upstream = connect(this.targetPort, this.targetHost);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.#sockets.add(from);
      from.on('error', () => {
        if (!this.#frozen.has(from)) to.destroy();
      });
      from.on('close', () => {
        this.#sockets.delete(from);
        if (!this.#frozen.has(from)) to.destroy();
      });
      from.pipe(to);
    }
    client.on('data', (chunk: Buffer) => this.#checkTrap(client, chunk));
  }

  #checkTrap(client: Socket, chunk: Buffer): void {
    const trap = this.#trap;
    if (trap === undefined) return;
    // The marker may straddle two chunks: the end of the previous one is kept.
    const seen = Buffer.concat([trap.tails.get(client) ?? Buffer.alloc(0), chunk]);
    if (!seen.includes(trap.marker)) {
      trap.tails.set(client, seen.subarray(Math.max(0, seen.length - trap.marker.length + 1)));
      return;
    }
    this.#trap = undefined;
    this.cut();
    trap.sprung();
  }
}
