// `tidings dead-letters archived purge --older-than <duration>`: the durations it reads.
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/cli/dead-letter-archive-command.js';

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
