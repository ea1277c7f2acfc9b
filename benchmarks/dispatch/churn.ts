// Subscribe, dispatch, unsubscribe in every operation, e.g. a request-scoped listener. This is the path
// where tidings does its bookkeeping (copy-on-write lists, resolved-list cache invalidation) instead of
// the dispatch fast path, so it shows what that design costs.
import { EventEmitter as EventEmitter3 } from 'eventemitter3';
import { EventEmitter } from 'node:events';
import { EventDispatcher } from './tidings.js';
import {
  createMitt,
  EVENT_NAME,
  OrderPlaced,
  orderPlacedPool,
  POOL_MASK,
  syncListeners,
  Tally,
  type PeerEvents,
} from './fixtures.js';
import type { Case, Scenario } from './harness.js';
import { churnFloor } from './churn-floor.js';

const tidings: Case = {
  label: 'tidings on + dispatchSync + off',
  library: 'tidings',
  callsPerOp: 1,
  setup() {
    const tally = new Tally();
    const dispatcher = new EventDispatcher();
    const [listener] = syncListeners(tally, 1);
    const events = orderPlacedPool();
    return {
      kind: 'sync',
      tally,
      run(ops) {
        for (let i = 0; i < ops; i++) {
          const off = dispatcher.on(OrderPlaced, listener!);
          dispatcher.dispatchSync(events[i & POOL_MASK]!);
          off();
        }
      },
    };
  },
};

const eventemitter3: Case = {
  label: 'eventemitter3 on + emit + off',
  library: 'eventemitter3',
  callsPerOp: 1,
  setup() {
    const tally = new Tally();
    const emitter = new EventEmitter3<PeerEvents>();
    const [listener] = syncListeners(tally, 1);
    const events = orderPlacedPool();
    return {
      kind: 'sync',
      tally,
      run(ops) {
        for (let i = 0; i < ops; i++) {
          emitter.on(EVENT_NAME, listener!);
          emitter.emit(EVENT_NAME, events[i & POOL_MASK]!);
          emitter.off(EVENT_NAME, listener);
        }
      },
    };
  },
};

const nodeEvents: Case = {
  label: 'node:events on + emit + off',
  library: 'node:events',
  callsPerOp: 1,
  setup() {
    const tally = new Tally();
    const emitter = new EventEmitter();
    const [listener] = syncListeners(tally, 1);
    const events = orderPlacedPool();
    return {
      kind: 'sync',
      tally,
      run(ops) {
        for (let i = 0; i < ops; i++) {
          emitter.on(EVENT_NAME, listener!);
          emitter.emit(EVENT_NAME, events[i & POOL_MASK]!);
          emitter.off(EVENT_NAME, listener!);
        }
      },
    };
  },
};

const mittCase: Case = {
  label: 'mitt on + emit + off',
  library: 'mitt',
  callsPerOp: 1,
  setup() {
    const tally = new Tally();
    const emitter = createMitt<PeerEvents>();
    const [listener] = syncListeners(tally, 1);
    const events = orderPlacedPool();
    return {
      kind: 'sync',
      tally,
      run(ops) {
        for (let i = 0; i < ops; i++) {
          emitter.on(EVENT_NAME, listener!);
          emitter.emit(EVENT_NAME, events[i & POOL_MASK]!);
          emitter.off(EVENT_NAME, listener);
        }
      },
    };
  },
};

export const scenario: Scenario = {
  id: 'churn',
  title: 'subscribe/unsubscribe churn (on + dispatch + off per op)',
  baseline: 'eventemitter3 on + emit + off',
  primary: 'tidings on + dispatchSync + off',
  goals: [{ label: 'tidings on + dispatchSync + off', atLeast: 1 }],
  cases: [tidings, churnFloor, eventemitter3, nodeEvents, mittCase],
};
