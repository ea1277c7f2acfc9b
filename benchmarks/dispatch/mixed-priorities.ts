// Ten listeners with ten different priorities, registered out of order. tidings sorts once, when the
// listener list changes, so dispatch should cost the same as with equal priorities.
import { peerEmitCases, tidingsDispatch, tidingsDispatchSync } from './cases.js';
import { MIXED_PRIORITIES } from './fixtures.js';
import type { Scenario } from './harness.js';

const spec = { count: MIXED_PRIORITIES.length, priorities: MIXED_PRIORITIES };

export const scenario: Scenario = {
  id: 'mixed-priorities',
  title: '10 listeners, mixed priorities',
  note: 'peers have no priorities: they run the same 10 listeners in registration order',
  baseline: 'eventemitter3 emit',
  primary: 'tidings dispatchSync',
  cases: [tidingsDispatchSync(spec), tidingsDispatch(spec), ...peerEmitCases(MIXED_PRIORITIES.length)],
};
