/**
 * Every number of the fume compliance rules, with its source. `@voc/config` names these defaults
 * (`VOC_COMPLIANCE_*`); nothing else hard-codes them. "Assumption" marks a value chosen here where no
 * standard gives one: each is a setting so a district can set its own.
 */

/** Emission standards a fume monitor's limits can come from (DOMAIN.md §4). */
export const LIMIT_STANDARDS = ['DB11/1488-2018', 'GB 18483-2001'] as const;
/** One of {@link LIMIT_STANDARDS}. */
export type LimitStandard = (typeof LIMIT_STANDARDS)[number];

/** Metrics that carry an emission limit (mg/m³ at the standard state). */
export const LIMITED_METRICS = ['oil_fume', 'fume_pm', 'fume_nmhc'] as const;
/** One of {@link LIMITED_METRICS}. */
export type LimitedMetric = (typeof LIMITED_METRICS)[number];

/** Limits of one standard, mg/m³; a metric absent from a standard has no limit there. */
export type Limits = Partial<Record<LimitedMetric, number>>;

/** Settings of the compliance rules. */
export interface ComplianceSettings {
  /** Rolling window of every rule, minutes. Default 60: DOMAIN.md §4 ("default 1 h rolling mean of valid minute values"). */
  readonly windowMinutes: number;
  /** Expected interval of a logger's minute data, minutes. Default 1 (HJ 212 CN=2051 minute data, SPEC-NOTES §5). */
  readonly dataIntervalMinutes: number;
  /**
   * Share of the window's expected values that must be valid (flag N) for a mean to count. Default
   * 0.75: GB 3095-2012 §7 data-validity rule (an hourly value needs at least 45 minutes of data).
   */
  readonly minValidFraction: number;
  /**
   * Limits by standard, mg/m³. DB11/1488-2018 (Beijing catering standard): oil fume 1.0,
   * particulate 5.0, NMHC 10.0. GB 18483-2001 (national): oil fume 2.0, no particulate or NMHC limit.
   * Source: DOMAIN.md §4 (secondary page cited in SPEC-NOTES §7; verify against the standard's text).
   */
  readonly limits: Readonly<Record<LimitStandard, Limits>>;
  /** Fan counts as running at or above this current, A, when it reports a current and no state. Default 0.5 (assumption: a kitchen fan draws ≥ 1 A). */
  readonly fanOnCurrentA: number;
  /** Purifier counts as off below this current, A, when it reports a current and no state. Default 0.2 (assumption: standby draw). */
  readonly purifierOffCurrentA: number;
  /** Minutes of "fan on, purifier off" in the window that raise the rule. Default 10 (assumption). */
  readonly purifierOffMinutes: number;
  /** The purifier-current rule fires below this share of the device's rated current. Default 0.5 (assumption: an electrostatic purifier below half its rated current is not precipitating). */
  readonly purifierCurrentShare: number;
  /** Minutes of low purifier current (fan and purifier on) in the window that raise the rule. Default 10 (assumption). */
  readonly purifierLowMinutes: number;
  /** Longest silence during opening hours, minutes, before "offline" is raised. Default 30 (assumption: two missed 15-min checks). */
  readonly offlineMinutes: number;
  /** Flat line: at least this many valid oil-fume values in the window... Default 30 (assumption: half the window). */
  readonly flatlineMinPoints: number;
  /** ...whose spread (max − min) is at most this, mg/m³. Default 0.0005 (below the 0.001 printed resolution of minute data). */
  readonly flatlineEpsilon: number;
  /**
   * Implausible drop: while the fan runs, the mean oil fume with the purifier off is below this share
   * of the mean with it on (it must rise when the purifier stops). Default 0.5 (assumption).
   */
  readonly dropRatio: number;
  /** Values needed on each side (purifier on / off) for the drop rule. Default 5 (assumption). */
  readonly dropMinPoints: number;
  /** Identical readings: at least this many common minutes with equal oil-fume values across two devices. Default 30 (assumption). */
  readonly identicalMinPoints: number;
}

/** The defaults (sources on each field of {@link ComplianceSettings}). */
export const DEFAULT_COMPLIANCE_SETTINGS: ComplianceSettings = Object.freeze({
  windowMinutes: 60,
  dataIntervalMinutes: 1,
  minValidFraction: 0.75,
  limits: Object.freeze({
    'DB11/1488-2018': Object.freeze({ oil_fume: 1.0, fume_pm: 5.0, fume_nmhc: 10.0 }),
    'GB 18483-2001': Object.freeze({ oil_fume: 2.0 }),
  }),
  fanOnCurrentA: 0.5,
  purifierOffCurrentA: 0.2,
  purifierOffMinutes: 10,
  purifierCurrentShare: 0.5,
  purifierLowMinutes: 10,
  offlineMinutes: 30,
  flatlineMinPoints: 30,
  flatlineEpsilon: 0.0005,
  dropRatio: 0.5,
  dropMinPoints: 5,
  identicalMinPoints: 30,
});

/**
 * Parses `metric=value` pairs (`oil_fume=1.0,fume_pm=5.0`) into limits.
 * @throws TypeError on a metric outside {@link LIMITED_METRICS} or a value that is not a positive number
 */
export function parseLimits(raw: string): Limits {
  const out: Limits = {};
  for (const part of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [k, v] = part.split('=').map((s) => s.trim());
    const n = Number(v);
    if (!k || !(LIMITED_METRICS as readonly string[]).includes(k) || !Number.isFinite(n) || n <= 0)
      throw new TypeError(`"${part}" is not <${LIMITED_METRICS.join('|')}>=<positive number>`);
    out[k as LimitedMetric] = n;
  }
  return out;
}
