const UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30d`, `12h`, `90m`, `45s`, `500ms` in milliseconds, or `undefined` when it is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^([0-9]+)(ms|s|m|h|d)$/.exec(text);
  if (match === null) return undefined;
  const ms = Number(match[1]) * UNITS_MS[match[2]!]!;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Milliseconds as seconds for a progress line: `0.4 s`, `12 s`, `3600 s`. */
export function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${seconds < 9.95 ? seconds.toFixed(1) : Math.round(seconds)} s`;
}
