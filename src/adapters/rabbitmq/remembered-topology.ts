import type { ChannelModel } from 'amqplib';
import type { Topology } from '../../messaging/transport.js';
import type { AmqpConnection } from './amqp-connection.js';
import type { SetupWatch } from './connection-setup.js';
import { declareTopology } from './topology.js';

/** The topologies declared through a transport, kept to declare again on every new connection. */
export class RememberedTopology {
  /** Declared topologies, by content, to declare again after a reconnect. */
  readonly #topologies = new Map<string, Topology>();
  readonly #link: AmqpConnection;

  constructor(link: AmqpConnection) {
    this.#link = link;
  }

  async declare(connection: ChannelModel, topology: Topology): Promise<void> {
    await declareTopology(connection, topology);
    this.#topologies.set(JSON.stringify(topology), topology);
  }

  /**
   * Declares every remembered topology on a new connection. One that cannot be restored (a conflicting
   * declaration, say) is reported and skipped: it must not keep the whole connection down.
   */
  async replay(connection: ChannelModel, setup: SetupWatch): Promise<void> {
    for (const topology of this.#topologies.values()) {
      await declareTopology(connection, topology).catch((error: unknown) => {
        setup.assertOpen();
        this.#link.emitError(
          this.#link.sanitize(error, 'Cannot declare the topology again after reconnecting'),
        );
      });
    }
  }

  /** Forgets a deleted queue and its bindings, so a reconnect does not re-create them. */
  forgetQueue(queue: string): void {
    this.#forget((topology) => ({
      ...topology,
      queues: topology.queues?.filter((spec) => spec.name !== queue),
      bindings: topology.bindings?.filter((binding) => binding.queue !== queue),
    }));
  }

  /** Forgets a deleted exchange and its bindings, so a reconnect does not re-create them. */
  forgetExchange(exchange: string): void {
    this.#forget((topology) => ({
      ...topology,
      exchanges: topology.exchanges?.filter((spec) => spec.name !== exchange),
      bindings: topology.bindings?.filter((binding) => binding.exchange !== exchange),
    }));
  }

  #forget(without: (topology: Topology) => Topology): void {
    const kept = [...this.#topologies.values()].map(without);
    this.#topologies.clear();
    for (const topology of kept) this.#topologies.set(JSON.stringify(topology), topology);
  }
}
