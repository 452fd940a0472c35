import { isOpenAt, type OpeningHours } from './hours.js';
import { LIMITED_METRICS, type ComplianceSettings, type LimitedMetric, type LimitStandard } from './settings.js';

/**
 * The compliance rules as pure functions over one device's window of readings. No clock, no I/O:
 * the worker loads the series (packages/db) and stores the outcomes; tests build series by hand.
 */

/** Rule ids (stable: stored in `compliance_states.rule`, `compliance_events.rule` and `tasks.rule`). */
export const RULES = {
  exceedance_oil_fume: 'exceedance_oil_fume',
  exceedance_fume_pm: 'exceedance_fume_pm',
  exceedance_fume_nmhc: 'exceedance_fume_nmhc',
  fan_on_purifier_off: 'fan_on_purifier_off',
  purifier_current_low: 'purifier_current_low',
  offline_opening_hours: 'offline_opening_hours',
  tamper_flat_line: 'tamper_flat_line',
  tamper_drop_purifier_off: 'tamper_drop_purifier_off',
  tamper_identical_series: 'tamper_identical_series',
} as const;
/** A rule id. */
export type RuleId = (typeof RULES)[keyof typeof RULES];

/** The metric a rule is about (a compliance task's `metric`). */
export const RULE_METRIC: Readonly<Record<RuleId, string>> = {
  exceedance_oil_fume: 'oil_fume',
  exceedance_fume_pm: 'fume_pm',
  exceedance_fume_nmhc: 'fume_nmhc',
  fan_on_purifier_off: 'purifier_state',
  purifier_current_low: 'purifier_current',
  offline_opening_hours: 'oil_fume',
  tamper_flat_line: 'oil_fume',
  tamper_drop_purifier_off: 'oil_fume',
  tamper_identical_series: 'oil_fume',
};

/** One stored value: epoch ms, canonical unit, and whether its QA is valid (HJ 212 flag N). */
export interface Sample {
  readonly t: number;
  readonly v: number;
  readonly valid: boolean;
}

/** One device's readings in the window, by metric (each list sorted by time). */
export interface DeviceWindow {
  readonly deviceId: string;
  readonly standard: LimitStandard;
  readonly openingHours: OpeningHours | null;
  readonly ratedPurifierCurrentA: number | null;
  readonly series: Readonly<Partial<Record<string, readonly Sample[]>>>;
}

/** The window evaluated: [start, end) epoch ms. */
export interface Window {
  readonly start: number;
  readonly end: number;
}

/**
 * A rule's outcome: `violation` raises (or keeps) the condition, `ok` clears it, `unknown` (too
 * little data, rule not applicable) changes nothing. `evidence` states the numbers, the setting and its source.
 */
export interface RuleOutcome {
  readonly rule: RuleId;
  readonly status: 'violation' | 'ok' | 'unknown';
  readonly evidence: Record<string, unknown>;
}

const MIN = 60_000;
const minuteOf = (t: number) => Math.floor(t / MIN);

function inWindow(s: readonly Sample[] | undefined, w: Window): Sample[] {
  return (s ?? []).filter((x) => x.t >= w.start && x.t < w.end);
}

const EXCEEDANCE_RULE: Record<LimitedMetric, RuleId> = {
  oil_fume: 'exceedance_oil_fume',
  fume_pm: 'exceedance_fume_pm',
  fume_nmhc: 'exceedance_fume_nmhc',
};

/**
 * Limit exceedance on the rolling mean of valid values, one outcome per limited metric. Violation
 * when the mean is strictly above the limit ("shall not exceed": a mean exactly at the limit
 * complies); `unknown` with fewer valid values than `minValidFraction` of the window expects, or
 * when the device's standard has no limit for the metric.
 */
export function exceedance(d: DeviceWindow, w: Window, s: ComplianceSettings): RuleOutcome[] {
  const expected = Math.round((w.end - w.start) / (s.dataIntervalMinutes * MIN));
  const needed = Math.ceil(expected * s.minValidFraction);
  return LIMITED_METRICS.map((metric) => {
    const rule = EXCEEDANCE_RULE[metric];
    const limit = s.limits[d.standard][metric];
    const valid = inWindow(d.series[metric], w).filter((x) => x.valid);
    const base = {
      metric,
      standard: d.standard,
      limit,
      unit: 'mg/m³',
      validValues: valid.length,
      needed,
      windowMinutes: (w.end - w.start) / MIN,
    };
    if (limit === undefined) return { rule, status: 'unknown', evidence: { ...base, why: 'no limit in this standard' } };
    if (valid.length < needed) return { rule, status: 'unknown', evidence: { ...base, why: 'too few valid values' } };
    const mean = valid.reduce((a, x) => a + x.v, 0) / valid.length;
    const max = valid.reduce((a, x) => Math.max(a, x.v), -Infinity);
    return {
      rule,
      status: mean > limit ? 'violation' : 'ok',
      evidence: { ...base, mean, max, source: `${d.standard} via VOC_COMPLIANCE_LIMITS` },
    };
  });
}

/** Per minute of the window: fan on?, purifier on?, purifier current (undefined when not reported). */
interface MinuteState {
  fan?: boolean;
  purifier?: boolean;
  purifierCurrent?: number;
}

function equipmentByMinute(d: DeviceWindow, w: Window, s: ComplianceSettings): Map<number, MinuteState> {
  const m = new Map<number, MinuteState>();
  const at = (t: number) => {
    const k = minuteOf(t);
    let v = m.get(k);
    if (!v) m.set(k, (v = {}));
    return v;
  };
  // States win over currents when a device reports both.
  for (const x of inWindow(d.series.fan_current, w)) at(x.t).fan ??= x.v >= s.fanOnCurrentA;
  for (const x of inWindow(d.series.purifier_current, w)) {
    const st = at(x.t);
    st.purifierCurrent = x.v;
    st.purifier ??= x.v >= s.purifierOffCurrentA;
  }
  for (const x of inWindow(d.series.fan_state, w)) at(x.t).fan = x.v >= 0.5;
  for (const x of inWindow(d.series.purifier_state, w)) at(x.t).purifier = x.v >= 0.5;
  return m;
}

/** Fan running while the purifier is off for at least `purifierOffMinutes` minutes of the window. */
export function fanOnPurifierOff(d: DeviceWindow, w: Window, s: ComplianceSettings): RuleOutcome {
  const eq = equipmentByMinute(d, w, s);
  let known = 0;
  const offMinutes: number[] = [];
  for (const [k, st] of eq) {
    if (st.fan === undefined || st.purifier === undefined) continue;
    known++;
    if (st.fan && !st.purifier) offMinutes.push(k);
  }
  const evidence = {
    minutesFanOnPurifierOff: offMinutes.length,
    minutesWithBothSignals: known,
    threshold: s.purifierOffMinutes,
    first: offMinutes.length ? new Date(Math.min(...offMinutes) * MIN).toISOString() : null,
    source: 'VOC_COMPLIANCE_PURIFIER_OFF_MINUTES (DOMAIN.md §4: fan running while the purifier is off)',
  };
  if (known === 0) return { rule: 'fan_on_purifier_off', status: 'unknown', evidence };
  return { rule: 'fan_on_purifier_off', status: offMinutes.length >= s.purifierOffMinutes ? 'violation' : 'ok', evidence };
}

/** Purifier on (fan on) but drawing less than `purifierCurrentShare` × its rated current for `purifierLowMinutes`. */
export function purifierCurrentLow(d: DeviceWindow, w: Window, s: ComplianceSettings): RuleOutcome {
  const rated = d.ratedPurifierCurrentA;
  const threshold = rated === null ? null : rated * s.purifierCurrentShare;
  let low = 0;
  let known = 0;
  let minCurrent = Infinity;
  if (threshold !== null) {
    for (const st of equipmentByMinute(d, w, s).values()) {
      if (st.purifierCurrent === undefined || st.fan !== true || st.purifier !== true) continue;
      known++;
      minCurrent = Math.min(minCurrent, st.purifierCurrent);
      if (st.purifierCurrent < threshold) low++;
    }
  }
  const evidence = {
    ratedCurrentA: rated,
    thresholdA: threshold,
    minutesBelow: low,
    minutesMeasured: known,
    minCurrentA: known ? minCurrent : null,
    threshold: s.purifierLowMinutes,
    source: 'VOC_COMPLIANCE_PURIFIER_CURRENT_SHARE × rated current of the device registry',
  };
  if (threshold === null || known === 0) return { rule: 'purifier_current_low', status: 'unknown', evidence };
  return { rule: 'purifier_current_low', status: low >= s.purifierLowMinutes ? 'violation' : 'ok', evidence };
}

/**
 * Monitor offline during declared opening hours: the longest run of consecutive open minutes of the
 * window without any reading is at least `offlineMinutes`. Closed minutes end a run (a silence that
 * spans closing time counts its open minutes on each side separately). `unknown` without declared hours.
 */
export function offlineInOpeningHours(d: DeviceWindow, w: Window, s: ComplianceSettings): RuleOutcome {
  if (d.openingHours === null) return { rule: 'offline_opening_hours', status: 'unknown', evidence: { why: 'no declared opening hours' } };
  const seen = new Set<number>();
  for (const list of Object.values(d.series)) for (const x of inWindow(list, w)) seen.add(minuteOf(x.t));
  let run = 0;
  let best = 0;
  let bestEnd = 0;
  let openMinutes = 0;
  for (let k = minuteOf(w.start); k < Math.ceil(w.end / MIN); k++) {
    if (!isOpenAt(d.openingHours, k * MIN)) {
      run = 0;
      continue;
    }
    openMinutes++;
    run = seen.has(k) ? 0 : run + 1;
    if (run > best) {
      best = run;
      bestEnd = k + 1;
    }
  }
  const evidence = {
    openingHours: d.openingHours.text,
    openMinutesInWindow: openMinutes,
    longestSilentOpenMinutes: best,
    silentFrom: best ? new Date((bestEnd - best) * MIN).toISOString() : null,
    silentUntil: best ? new Date(bestEnd * MIN).toISOString() : null,
    threshold: s.offlineMinutes,
    source: 'VOC_COMPLIANCE_OFFLINE_MINUTES; opening hours from the device registry (China Standard Time)',
  };
  if (openMinutes === 0) return { rule: 'offline_opening_hours', status: 'ok', evidence };
  return { rule: 'offline_opening_hours', status: best >= s.offlineMinutes ? 'violation' : 'ok', evidence };
}

/**
 * Flat line: at least `flatlineMinPoints` valid oil-fume values whose spread is at most
 * `flatlineEpsilon`, while the kitchen is evidently working (fan on for at least half of those
 * minutes, or a non-zero value: a closed kitchen's zeros are not tampering).
 */
export function flatLine(d: DeviceWindow, w: Window, s: ComplianceSettings): RuleOutcome {
  const v = inWindow(d.series.oil_fume, w).filter((x) => x.valid);
  const eq = equipmentByMinute(d, w, s);
  const base = { points: v.length, minPoints: s.flatlineMinPoints, epsilon: s.flatlineEpsilon, source: 'VOC_COMPLIANCE_FLATLINE_*' };
  if (v.length < s.flatlineMinPoints) return { rule: 'tamper_flat_line', status: 'unknown', evidence: base };
  let lo = Infinity;
  let hi = -Infinity;
  let fanOn = 0;
  for (const x of v) {
    lo = Math.min(lo, x.v);
    hi = Math.max(hi, x.v);
    if (eq.get(minuteOf(x.t))?.fan === true) fanOn++;
  }
  const working = fanOn * 2 >= v.length || lo > 0;
  const flat = hi - lo <= s.flatlineEpsilon;
  return {
    rule: 'tamper_flat_line',
    status: flat && working ? 'violation' : 'ok',
    evidence: { ...base, min: lo, max: hi, fanOnMinutes: fanOn },
  };
}

/**
 * Implausible drop: with the fan running, the mean oil fume while the purifier is off is below
 * `dropRatio` × the mean while it is on (stopping the purifier must raise the emission, not lower it).
 */
export function dropWhenPurifierOff(d: DeviceWindow, w: Window, s: ComplianceSettings): RuleOutcome {
  const eq = equipmentByMinute(d, w, s);
  const on: number[] = [];
  const off: number[] = [];
  for (const x of inWindow(d.series.oil_fume, w)) {
    if (!x.valid) continue;
    const st = eq.get(minuteOf(x.t));
    if (st?.fan !== true || st.purifier === undefined) continue;
    (st.purifier ? on : off).push(x.v);
  }
  const mean = (a: number[]) => a.reduce((p, q) => p + q, 0) / a.length;
  const evidence = {
    pointsPurifierOn: on.length,
    pointsPurifierOff: off.length,
    meanPurifierOn: on.length ? mean(on) : null,
    meanPurifierOff: off.length ? mean(off) : null,
    dropRatio: s.dropRatio,
    source: 'VOC_COMPLIANCE_DROP_RATIO (DOMAIN.md §4: implausible drops)',
  };
  if (on.length < s.dropMinPoints || off.length < s.dropMinPoints) return { rule: 'tamper_drop_purifier_off', status: 'unknown', evidence };
  return { rule: 'tamper_drop_purifier_off', status: mean(off) < s.dropRatio * mean(on) ? 'violation' : 'ok', evidence };
}

/** Every single-device rule of one device. */
export function evaluateDevice(d: DeviceWindow, w: Window, s: ComplianceSettings): RuleOutcome[] {
  return [
    ...exceedance(d, w, s),
    fanOnPurifierOff(d, w, s),
    purifierCurrentLow(d, w, s),
    offlineInOpeningHours(d, w, s),
    flatLine(d, w, s),
    dropWhenPurifierOff(d, w, s),
  ];
}

/**
 * Identical readings across two restaurants: two devices with at least `identicalMinPoints` common
 * minutes whose oil-fume values are all equal, and a series that is not flat (a flat line is its own
 * rule). Returns one outcome per device that has enough values: `violation` naming the twin(s), else `ok`.
 */
export function identicalSeries(devices: readonly DeviceWindow[], w: Window, s: ComplianceSettings): Map<string, RuleOutcome> {
  const byDevice = devices.map((d) => {
    const m = new Map<number, number>();
    for (const x of inWindow(d.series.oil_fume, w)) if (x.valid) m.set(minuteOf(x.t), x.v);
    return { id: d.deviceId, m };
  });
  const twins = new Map<string, { with: string; commonMinutes: number }[]>();
  for (let i = 0; i < byDevice.length; i++) {
    const a = byDevice[i]!;
    if (a.m.size < s.identicalMinPoints) continue;
    for (let j = i + 1; j < byDevice.length; j++) {
      const b = byDevice[j]!;
      if (b.m.size < s.identicalMinPoints) continue;
      let common = 0;
      let equal = true;
      let lo = Infinity;
      let hi = -Infinity;
      for (const [k, v] of a.m) {
        const u = b.m.get(k);
        if (u === undefined) continue;
        common++;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        if (Math.abs(u - v) > 1e-9) {
          equal = false;
          break;
        }
      }
      if (!equal || common < s.identicalMinPoints || hi - lo <= s.flatlineEpsilon) continue;
      for (const [x, y] of [
        [a.id, b.id],
        [b.id, a.id],
      ] as const) {
        const list = twins.get(x) ?? [];
        list.push({ with: y, commonMinutes: common });
        twins.set(x, list);
      }
    }
  }
  const out = new Map<string, RuleOutcome>();
  for (const d of byDevice) {
    if (d.m.size < s.identicalMinPoints) continue;
    const t = twins.get(d.id);
    out.set(d.id, {
      rule: 'tamper_identical_series',
      status: t ? 'violation' : 'ok',
      evidence: { identicalWith: t ?? [], minPoints: s.identicalMinPoints, source: 'VOC_COMPLIANCE_IDENTICAL_MIN_POINTS' },
    });
  }
  return out;
}
