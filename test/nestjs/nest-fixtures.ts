// Events, schemas and providers shared by the Nest module's tests (unit on MemoryTransport, integration
// on RabbitMQ). Compiled by SWC with legacy decorators and their metadata (vitest.config.ts), as a Nest
// application is: constructor parameters are injected by their types.
import { Inject, Injectable, Scope } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import type { StandardSchemaV1 } from '../../src/index.js';
import { waitFor } from '../helpers/wait-for.js';

export class OrderPlaced {
  static eventName = 'order.placed';
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {}
}

/** A minimal Standard Schema validator, as zod or valibot would provide. */
export const orderSchema: StandardSchemaV1<unknown, { orderId: string; total: number }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate(value) {
      const candidate = value as { orderId?: unknown; total?: unknown };
      if (typeof candidate?.orderId !== 'string')
        return { issues: [{ message: 'must be a string', path: ['orderId'] }] };
      if (typeof candidate.total !== 'number')
        return { issues: [{ message: 'must be a number', path: ['total'] }] };
      return { value: { orderId: candidate.orderId, total: candidate.total } };
    },
  },
};

/** What the tests' providers saw, in order; one per application. */
@Injectable()
export class Journal {
  readonly entries: string[] = [];
  add(entry: string): void {
    this.entries.push(entry);
  }
}

let created = 0;

/** A request-scoped dependency: a new one for each event or message, numbered. */
@Injectable({ scope: Scope.REQUEST })
export class PerMessageCounter {
  readonly serial = ++created;
}

/** Resolves once `open()` is called: holds a handler while the test does something else. */
export class Gate {
  #open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.#open = resolve));
  open(): void {
    this.#open();
  }
}

/** What a request-scoped provider is handed as REQUEST. */
export type Request = { event?: object; message?: { payload: unknown; attempt: number } };

/** Injects REQUEST, for the request-scoped providers of the tests. */
export const InjectRequest = () => Inject(REQUEST);

export { waitFor };
