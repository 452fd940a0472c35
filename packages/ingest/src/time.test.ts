import { describe, expect, it } from 'vitest';
import { checkTime } from './time.js';
import { DEFAULT_EARLIEST_TIME_MS } from './types.js';

const received = new Date('2026-11-01T08:00:00Z');
const YEARS_20 = 20 * 365 * 86_400_000;

describe('device time plausibility floor', () => {
  it('refuses a clock before the network existed even under a lateness of twenty years', () => {
    for (const ts of ['1970-01-01T00:00:05Z', '2000-01-01T00:00:00Z', '2012-12-31T23:59:59Z']) {
      const r = checkTime(ts, received, { allowedLatenessMs: YEARS_20, maxClockSkewMs: 60_000 }, 'ts');
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.rejection.reason).toBe('timestamp_too_old');
        expect(r.rejection.detail).toContain('VOC_EARLIEST_READING_TIME');
      }
    }
  });

  it('accepts a time at the floor when the lateness allows it, and takes a configured floor', () => {
    const limits = { allowedLatenessMs: YEARS_20, maxClockSkewMs: 60_000 };
    expect(checkTime(DEFAULT_EARLIEST_TIME_MS, received, limits, 'ts').ok).toBe(true);
    expect(checkTime('2016-12-26T00:00:00Z', received, limits, 'ts').ok).toBe(true);
    const later = { ...limits, earliestTimeMs: Date.UTC(2020, 0, 1) };
    expect(checkTime('2016-12-26T00:00:00Z', received, later, 'ts').ok).toBe(false);
  });
});
