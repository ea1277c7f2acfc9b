/**
 * How long a metrics collection waits for the database or the broker (outbox gauges, dead-letter queue
 * depth) before it goes without their values: well inside an SDK's export timeout (30 s by default).
 */
export const COLLECTION_TIMEOUT_MS = 10_000;
