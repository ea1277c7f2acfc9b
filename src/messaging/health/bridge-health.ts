import type { ConsumerHealth } from './consumer-health.js';
import type { HealthStatus } from './health-status.js';
import type { TransportHealth } from './transport-health.js';

/** What `Bridge.health()` reports: its transport and its consumers. */
export interface BridgeHealth {
  /** `'up'` when the transport is up and every consumer consumes. */
  status: HealthStatus;
  transport: TransportHealth;
  /** One per `consume()`, in order. */
  consumers: ConsumerHealth[];
}
