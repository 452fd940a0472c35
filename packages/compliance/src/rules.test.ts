import { describe, expect, it } from 'vitest';
import { isOpenAt, parseOpeningHours } from './hours.js';
import {
  dropWhenPurifierOff,
  exceedance,
  fanOnPurifierOff,
  flatLine,
  identicalSeries,
  offlineInOpeningHours,
  purifierCurrentLow,
  type DeviceWindow,
  type Sample,
} from './rules.js';
import { DEFAULT_COMPLIANCE_SETTINGS as S, parseLimits } from './settings.js';

const MIN = 60_000;
/** 2026-03-01 12:00 China Standard Time = 04:00 UTC. */
const NOON_CST = Date.UTC(2026, 2, 1, 4, 0);
const W = { start: NOON_CST - 60 * MIN, end: NOON_CST };

/** One value a minute over the window (minute i → f(i)). */
const series = (f: (i: number) => number, n = 60, start = W.start, valid = true): Sample[] =>
  Array.from({ length: n }, (_, i) => ({ t: start + i * MIN, v: f(i), valid }));

const dev = (s: DeviceWindow['series'], o: Partial<DeviceWindow> = {}): DeviceWindow => ({
  deviceId: 'fume-1',
  standard: 'DB11/1488-2018',
  openingHours: null,
  ratedPurifierCurrentA: null,
  series: s,
  ...o,
});
const ruleOf = (d: DeviceWindow, metric: string) => exceedance(d, W, S).find((o) => o.evidence.metric === metric)!;

describe('limit exceedance on the rolling mean of valid values', () => {
  it('complies exactly at the limit and exceeds just above it (DB11/1488-2018: 1.0 mg/m³)', () => {
    expect(ruleOf(dev({ oil_fume: series(() => 1.0) }), 'oil_fume').status).toBe('ok');
    expect(ruleOf(dev({ oil_fume: series(() => 1.0001) }), 'oil_fume').status).toBe('violation');
    expect(ruleOf(dev({ fume_pm: series(() => 5.0) }), 'fume_pm').status).toBe('ok');
    expect(ruleOf(dev({ fume_pm: series(() => 5.01) }), 'fume_pm').status).toBe('violation');
    expect(ruleOf(dev({ fume_nmhc: series(() => 10.0) }), 'fume_nmhc').status).toBe('ok');
    expect(ruleOf(dev({ fume_nmhc: series(() => 10.5) }), 'fume_nmhc').status).toBe('violation');
  });

  it('uses GB 18483-2001 (2.0 mg/m³, no particulate or NMHC limit) when the device selects it', () => {
    const d = dev({ oil_fume: series(() => 1.5), fume_pm: series(() => 9) }, { standard: 'GB 18483-2001' });
    expect(ruleOf(d, 'oil_fume')).toMatchObject({ status: 'ok', evidence: { limit: 2.0 } });
    expect(ruleOf(d, 'fume_pm').status).toBe('unknown');
  });

  it('is a rolling mean: a short peak inside compliant minutes does not exceed, a long one does', () => {
    expect(ruleOf(dev({ oil_fume: series((i) => (i < 10 ? 2.5 : 0.6)) }), 'oil_fume').status).toBe('ok'); // mean 0.9166…
    expect(ruleOf(dev({ oil_fume: series((i) => (i < 20 ? 2.0 : 0.6)) }), 'oil_fume').status).toBe('violation'); // mean 1.0666…
  });

  it('counts only values inside [start, end): a value at the window end belongs to the next window', () => {
    const inside = series(() => 0.5);
    const atEnd = { t: W.end, v: 1000, valid: true };
    const beforeStart = { t: W.start - 1, v: 1000, valid: true };
    expect(ruleOf(dev({ oil_fume: [beforeStart, ...inside, atEnd] }), 'oil_fume')).toMatchObject({ status: 'ok', evidence: { mean: 0.5 } });
  });

  it('needs 75 % valid values: 45 of 60 minutes decide, 44 leave the state unknown; invalid values do not count', () => {
    expect(ruleOf(dev({ oil_fume: series(() => 3, 45) }), 'oil_fume').status).toBe('violation');
    expect(ruleOf(dev({ oil_fume: series(() => 3, 44) }), 'oil_fume').status).toBe('unknown');
    const mixed = [...series(() => 3, 44), ...series(() => 3, 16, W.start + 44 * MIN, false)];
    expect(ruleOf(dev({ oil_fume: mixed }), 'oil_fume').status).toBe('unknown');
  });

  it('parses limit settings and refuses bad ones', () => {
    expect(parseLimits('oil_fume=1.2, fume_pm=4')).toEqual({ oil_fume: 1.2, fume_pm: 4 });
    expect(() => parseLimits('tvoc=1')).toThrow(TypeError);
    expect(() => parseLimits('oil_fume=-1')).toThrow(TypeError);
  });
});

describe('fan running while the purifier is off', () => {
  it('raises at 10 minutes of fan on / purifier off, not at 9 (states)', () => {
    const fan = series(() => 1);
    expect(fanOnPurifierOff(dev({ fan_state: fan, purifier_state: series((i) => (i < 10 ? 0 : 1)) }), W, S).status).toBe('violation');
    expect(fanOnPurifierOff(dev({ fan_state: fan, purifier_state: series((i) => (i < 9 ? 0 : 1)) }), W, S).status).toBe('ok');
  });

  it('reads currents when no states are sent (fan ≥ 0.5 A on, purifier < 0.2 A off)', () => {
    const d = dev({ fan_current: series(() => 3.2), purifier_current: series(() => 0.1) });
    expect(fanOnPurifierOff(d, W, S)).toMatchObject({ status: 'violation', evidence: { minutesFanOnPurifierOff: 60 } });
    expect(fanOnPurifierOff(dev({ fan_current: series(() => 0.4), purifier_current: series(() => 0.1) }), W, S).status).toBe('ok');
  });

  it('is unknown without both signals', () => {
    expect(fanOnPurifierOff(dev({ fan_state: series(() => 1) }), W, S).status).toBe('unknown');
  });
});

describe('purifier current below its rated threshold', () => {
  it('raises below half the rated current for 10 minutes while fan and purifier run; exactly half complies', () => {
    const base = { fan_state: series(() => 1), purifier_state: series(() => 1) };
    const rated = { ratedPurifierCurrentA: 2.0 };
    expect(purifierCurrentLow(dev({ ...base, purifier_current: series(() => 0.99) }, rated), W, S).status).toBe('violation');
    expect(purifierCurrentLow(dev({ ...base, purifier_current: series(() => 1.0) }, rated), W, S).status).toBe('ok');
    expect(purifierCurrentLow(dev({ ...base, purifier_current: series(() => 0.5) }), W, S).status).toBe('unknown');
  });
});

describe('monitor offline during declared opening hours', () => {
  it('parses hours across midnight and tells open from closed in China Standard Time', () => {
    const h = parseOpeningHours('17:00-02:00');
    expect(h.intervals).toEqual([
      { startMin: 0, endMin: 120 },
      { startMin: 17 * 60, endMin: 1440 },
    ]);
    const cst = (hh: number, mm = 0) => Date.UTC(2026, 2, 1, hh - 8, mm);
    expect(isOpenAt(h, cst(16, 59))).toBe(false);
    expect(isOpenAt(h, cst(17, 0))).toBe(true);
    expect(isOpenAt(h, cst(23, 59))).toBe(true);
    expect(isOpenAt(h, cst(24 + 1, 59))).toBe(true);
    expect(isOpenAt(h, cst(24 + 2, 0))).toBe(false);
    expect(() => parseOpeningHours('25:00-02:00')).toThrow(/HH:MM-HH:MM/);
  });

  it('raises after 30 silent open minutes across midnight, not 29, and never while closed', () => {
    const hours = parseOpeningHours('17:00-02:00');
    // Window 00:00–01:00 CST (open): readings stop at 00:30 → 30 silent open minutes.
    const w = { start: Date.UTC(2026, 2, 1, 16, 0), end: Date.UTC(2026, 2, 1, 17, 0) };
    const upTo = (n: number) => ({ oil_fume: series(() => 0.3, n, w.start) });
    expect(offlineInOpeningHours(dev(upTo(30), { openingHours: hours }), w, S).status).toBe('violation');
    expect(offlineInOpeningHours(dev(upTo(31), { openingHours: hours }), w, S).status).toBe('ok');
    // Window 02:00–03:00 CST: closed, silence is fine.
    const closed = { start: Date.UTC(2026, 2, 1, 18, 0), end: Date.UTC(2026, 2, 1, 19, 0) };
    expect(offlineInOpeningHours(dev({}, { openingHours: hours }), closed, S).status).toBe('ok');
    expect(offlineInOpeningHours(dev({}), w, S).status).toBe('unknown');
  });

  it('counts only open minutes: silence from 01:40 to 02:20 CST is 20 open minutes', () => {
    const hours = parseOpeningHours('17:00-02:00');
    const w = { start: Date.UTC(2026, 2, 1, 17, 20), end: Date.UTC(2026, 2, 1, 18, 20) }; // 01:20–02:20 CST
    const d = dev({ oil_fume: series(() => 0.3, 20, w.start) }, { openingHours: hours });
    expect(offlineInOpeningHours(d, w, S)).toMatchObject({ status: 'ok', evidence: { longestSilentOpenMinutes: 20 } });
  });
});

describe('tamper patterns', () => {
  it('flat line: 30 identical values while the fan runs raise; natural variation or a closed kitchen does not', () => {
    expect(flatLine(dev({ oil_fume: series(() => 0.42, 30), fan_state: series(() => 1) }), W, S).status).toBe('violation');
    expect(flatLine(dev({ oil_fume: series(() => 0.42, 29), fan_state: series(() => 1) }), W, S).status).toBe('unknown');
    expect(flatLine(dev({ oil_fume: series((i) => 0.42 + (i % 2) * 0.001), fan_state: series(() => 1) }), W, S).status).toBe('ok');
    expect(flatLine(dev({ oil_fume: series(() => 0), fan_state: series(() => 0) }), W, S).status).toBe('ok');
  });

  it('implausible drop: fume falls when the purifier stops (below half the purifier-on mean)', () => {
    const fan = series(() => 1);
    const purifier = series((i) => (i < 30 ? 1 : 0));
    expect(
      dropWhenPurifierOff(dev({ fan_state: fan, purifier_state: purifier, oil_fume: series((i) => (i < 30 ? 0.8 : 0.1)) }), W, S).status,
    ).toBe('violation');
    expect(
      dropWhenPurifierOff(dev({ fan_state: fan, purifier_state: purifier, oil_fume: series((i) => (i < 30 ? 0.4 : 1.8)) }), W, S).status,
    ).toBe('ok');
    expect(
      dropWhenPurifierOff(dev({ fan_state: fan, purifier_state: purifier, oil_fume: series((i) => (i < 30 ? 0.8 : 0.4)) }), W, S).status,
    ).toBe('ok'); // exactly half
  });

  it('identical readings across two restaurants raise on both, not on a third', () => {
    const wave = (i: number) => 0.3 + 0.2 * Math.sin(i / 5);
    const a = dev({ oil_fume: series(wave) }, { deviceId: 'a' });
    const b = dev({ oil_fume: series(wave) }, { deviceId: 'b' });
    const c = dev({ oil_fume: series((i) => wave(i) + 0.01) }, { deviceId: 'c' });
    const out = identicalSeries([a, b, c], W, S);
    expect(out.get('a')).toMatchObject({ status: 'violation', evidence: { identicalWith: [{ with: 'b', commonMinutes: 60 }] } });
    expect(out.get('b')?.status).toBe('violation');
    expect(out.get('c')?.status).toBe('ok');
  });
});
