// Rascal ships no type declarations: the little of its API the benchmarks use.
declare module 'rascal' {
  import type { EventEmitter } from 'node:events';

  namespace rascal {
    interface Recovery {
      strategy: 'ack' | 'nack' | 'republish' | 'forward';
      defer?: number;
      attempts?: number;
      requeue?: boolean;
    }

    type AckOrNack = (error?: Error, recovery?: Recovery | Recovery[]) => void;

    interface Message {
      content: Buffer;
      fields: { exchange: string; routingKey: string; redelivered: boolean };
      properties: { messageId?: string; headers?: Record<string, any> };
    }

    /** Emits `success` (confirmed), `error` and `return` for one published message. */
    type PublicationSession = EventEmitter;

    /** Emits `message` (message, content, ackOrNack) and `error`. */
    interface SubscriberSession extends EventEmitter {
      cancel(): Promise<void>;
    }

    class BrokerAsPromised extends EventEmitter {
      static create(config: object): Promise<BrokerAsPromised>;
      publish(publication: string, message: unknown, overrides?: object): Promise<PublicationSession>;
      subscribe(subscription: string, overrides?: object): Promise<SubscriberSession>;
      shutdown(): Promise<void>;
    }

    function withDefaultConfig(config: object): object;
  }

  export = rascal;
}
