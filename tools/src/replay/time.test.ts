import { describe, expect, it } from 'vitest';
import { isTimeZone, localToUtc } from './time.js';

describe('local time to UTC', () => {
  it('applies a fixed offset', () => {
    expect(localToUtc({ year: 2013, month: 3, day: 1, hour: 0 }, '+08:00').toISOString()).toBe('2013-02-28T16:00:00.000Z');
    expect(localToUtc({ year: 2019, month: 9, day: 25, hour: 9, minute: 59, second: 24 }, '+05:30').toISOString()).toBe(
      '2019-09-25T04:29:24.000Z',
    );
  });

  it('applies summer and winter time of an IANA zone', () => {
    expect(localToUtc({ year: 2004, month: 7, day: 15, hour: 12 }, 'Europe/Rome').toISOString()).toBe('2004-07-15T10:00:00.000Z');
    expect(localToUtc({ year: 2005, month: 1, day: 15, hour: 12 }, 'Europe/Rome').toISOString()).toBe('2005-01-15T11:00:00.000Z');
  });

  it('takes the earlier instant for a time repeated when clocks go back', () => {
    // 31 Oct 2004: 03:00 CEST → 02:00 CET, so 02:30 happens twice.
    expect(localToUtc({ year: 2004, month: 10, day: 31, hour: 2, minute: 30 }, 'Europe/Rome').toISOString()).toBe(
      '2004-10-31T00:30:00.000Z',
    );
    expect(localToUtc({ year: 2004, month: 10, day: 31, hour: 3 }, 'Europe/Rome').toISOString()).toBe('2004-10-31T02:00:00.000Z');
  });

  it('moves a time skipped when clocks go forward by the gap', () => {
    // 28 Mar 2004: 02:00 CET → 03:00 CEST; 02:00 does not exist and reads as 03:00 CEST.
    expect(localToUtc({ year: 2004, month: 3, day: 28, hour: 2 }, 'Europe/Rome').toISOString()).toBe('2004-03-28T01:00:00.000Z');
    expect(localToUtc({ year: 2004, month: 3, day: 28, hour: 3 }, 'Europe/Rome').toISOString()).toBe('2004-03-28T01:00:00.000Z');
  });

  it('knows offsets and IANA zones', () => {
    expect(isTimeZone('+01:00')).toBe(true);
    expect(isTimeZone('Europe/Rome')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
