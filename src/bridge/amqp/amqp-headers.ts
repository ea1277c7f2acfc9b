/**
 * amqplib decodes AMQP timestamps inside header tables as `{ '!': 'timestamp', value: seconds }`.
 * Deliveries expose them as `Date`s, like the memory transport, so `x-death[].time` reads the same on
 * both.
 */
export function normalizeHeaders(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  if (headers === undefined) return {};
  const normalized: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers)) normalized[key] = normalizeValue(value);
  return normalized;
}

function normalizeValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalizeValue);
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value) || value instanceof Date)
    return value;
  const typed = value as { '!'?: unknown; value?: unknown };
  if (typed['!'] === 'timestamp' && typeof typed.value === 'number') return new Date(typed.value * 1000);
  const normalized: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) normalized[key] = normalizeValue(entry);
  return normalized;
}
