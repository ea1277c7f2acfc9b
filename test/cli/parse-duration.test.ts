// The durations the CLI reads (`archived purge --older-than`, `outbox relay --progress-every`) and the
// seconds its progress lines show.
import { describe, expect, it } from 'vitest';
import { formatSeconds, parseDuration } from '../../src/cli/durations.js';

describe('parseDuration', () => {
  it('reads ms, s, m, h and d', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('45s')).toBe(45_000);
    expect(parseDuration('500ms')).toBe(500);
    for (const bad of ['', '30', 'd', '1.5h', '-1d', '30 d', '9'.repeat(20) + 'd']) {
      expect(parseDuration(bad)).toBeUndefined();
    }
  });
});

describe('formatSeconds', () => {
  it('shows a tenth of a second below 10 s, whole seconds above', () => {
    expect(formatSeconds(0)).toBe('0.0 s');
    expect(formatSeconds(420)).toBe('0.4 s');
    expect(formatSeconds(5000)).toBe('5.0 s');
    expect(formatSeconds(9960)).toBe('10 s');
    expect(formatSeconds(12_345)).toBe('12 s');
    expect(formatSeconds(3_600_000)).toBe('3600 s');
  });
});
