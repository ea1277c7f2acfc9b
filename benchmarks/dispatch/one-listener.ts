// One listener on one event: the per-dispatch overhead of each library with the least listener work.
import { emitteryEmit, peerEmitCases, tidingsDispatch, tidingsDispatchSync } from './cases.js';
import type { Scenario } from './harness.js';

export const scenario: Scenario = {
  id: 'one-listener',
  title: '1 listener',
  baseline: 'eventemitter3 emit',
  primary: 'tidings dispatchSync',
  goals: [{ label: 'tidings dispatchSync', atLeast: 1, against: 'best peer' }],
  cases: [
    tidingsDispatchSync({ count: 1 }),
    tidingsDispatch({ count: 1 }),
    ...peerEmitCases(1),
    emitteryEmit(1),
  ],
};
