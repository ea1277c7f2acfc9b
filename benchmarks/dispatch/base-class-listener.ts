// A listener registered on a base class receives an event of a subclass. tidings resolves the class
// hierarchy once per concrete class and caches it, so this should cost what a direct listener costs.
import { peerEmitCases, tidingsDispatch, tidingsDispatchSync } from './cases.js';
import { DomainEvent, orderShippedPool } from './fixtures.js';
import type { Scenario } from './harness.js';

const spec = { count: 1, listenOn: DomainEvent, events: orderShippedPool };

export const scenario: Scenario = {
  id: 'base-class-listener',
  title: '1 listener on a base class, subclass event dispatched',
  note: 'peers have no class hierarchy: they emit the very name the listener is on',
  baseline: 'eventemitter3 emit',
  primary: 'tidings dispatchSync',
  cases: [tidingsDispatchSync(spec), tidingsDispatch(spec), ...peerEmitCases(1)],
};
