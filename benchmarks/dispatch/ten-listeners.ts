// Ten listeners on one event: the cost of walking the listener list (and of copying it, for libraries
// that snapshot the list on every emit).
import { emitteryEmit, peerEmitCases, tidingsDispatch, tidingsDispatchSync } from './cases.js';
import type { Scenario } from './harness.js';

export const scenario: Scenario = {
  id: 'ten-listeners',
  title: '10 listeners',
  baseline: 'eventemitter3 emit',
  primary: 'tidings dispatchSync',
  goals: [{ label: 'tidings dispatchSync', atLeast: 1, against: 'best peer' }],
  cases: [
    tidingsDispatchSync({ count: 10 }),
    tidingsDispatch({ count: 10 }),
    ...peerEmitCases(10),
    emitteryEmit(10),
  ],
};
