// A reference for the churn scenario, not a library: tidings' registry reduced to its data structures
// — a slot per key in a map, the slot added to last and the list dispatched last cached, the spare
// one-element list, a registration record, `on()` returning `unsubscribe` bound to the registration —
// with no argument checks, no options, no priorities to sort, no introspection fields. What it costs is
// the floor of an `on()` that returns a function removing the registration, whatever the checks cost
// (benchmarks/README.md, "What bounds churn"). Plain fields rather than `#private` ones: this file is
// loaded through tsx, whose output must not add work per operation that tidings' build does not have.
import { OrderPlaced, orderPlacedPool, POOL_MASK, syncListeners, Tally } from './fixtures.js';
import type { Case } from './harness.js';

type Listener = (event: OrderPlaced) => void;

const NONE: readonly FloorRegistration[] = Object.freeze([]);

class FloorSlot {
  list: readonly FloorRegistration[] = NONE;
  spare: (FloorRegistration | undefined)[] | undefined = undefined;
  constructor(
    readonly registry: FloorRegistry,
    readonly key: object,
  ) {}
}

class FloorRegistration {
  slot: FloorSlot | undefined = undefined;
  constructor(
    readonly key: object,
    readonly call: Listener,
    readonly sequence: number,
  ) {}

  unsubscribe(): void {
    this.slot?.registry.remove(this);
  }
}

// A method, not a function declaration: tsx (esbuild `keepNames`) redefines a declared function's
// `name`, which sends every `bind` of it down V8's slow path (~10× the whole operation here); tidings'
// build has no such wrapper, and class methods keep theirs.
const unsubscribe = FloorRegistration.prototype.unsubscribe;

class FloorRegistry {
  private readonly byKey = new Map<object, FloorSlot>();
  private lastAdded: FloorSlot | undefined = undefined;
  private lastKey: unknown = undefined;
  private lastList: readonly FloorRegistration[] = NONE;
  private sequence = 0;

  on(key: object, call: Listener): () => void {
    const registration = new FloorRegistration(key, call, this.sequence++);
    let slot = this.lastAdded;
    if (slot?.key !== key) {
      const found = this.byKey.get(key);
      slot = found ?? new FloorSlot(this, key);
      if (found === undefined) this.byKey.set(key, slot);
      this.lastAdded = slot;
    }
    const spare = slot.spare;
    if (slot.list.length > 0) slot.list = [...slot.list, registration];
    else if (spare === undefined) slot.list = [registration];
    else {
      spare[0] = registration;
      slot.spare = undefined;
      slot.list = spare as FloorRegistration[];
    }
    registration.slot = slot;
    if (key === this.lastKey) this.lastList = slot.list;
    return unsubscribe.bind(registration);
  }

  remove(registration: FloorRegistration): void {
    const slot = registration.slot;
    if (slot === undefined) return;
    const list = slot.list;
    if (list.length === 1) {
      const spare = list as (FloorRegistration | undefined)[];
      spare[0] = undefined;
      slot.spare = spare;
      slot.list = NONE;
    } else {
      slot.list = list.filter((entry) => entry !== registration);
    }
    registration.slot = undefined;
    if (registration.key === this.lastKey) this.lastList = slot.list;
  }

  dispatch(event: OrderPlaced): void {
    const key = event.constructor;
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.lastList = this.byKey.get(key)?.list ?? NONE;
    }
    const list = this.lastList;
    for (let index = 0; index < list.length; index++) list[index]!.call(event);
  }
}

export const churnFloor: Case = {
  label: "reference: tidings' data structures alone (no checks, no options)",
  library: 'tidings',
  callsPerOp: 1,
  setup() {
    const tally = new Tally();
    const registry = new FloorRegistry();
    const [listener] = syncListeners(tally, 1);
    const events = orderPlacedPool();
    return {
      kind: 'sync',
      tally,
      run(ops) {
        for (let i = 0; i < ops; i++) {
          const off = registry.on(OrderPlaced, listener!);
          registry.dispatch(events[i & POOL_MASK]!);
          off();
        }
      },
    };
  },
};
