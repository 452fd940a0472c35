import { ERRORS, METRICS, VocError, isMetricId, type Device } from '@voc/domain';
import { findJurisdiction, type Jurisdiction } from '@voc/hotspot';
import { checkRange } from '../series/service.js';

/** Period of a street-office report: the whole range, or calendar days, weeks (Monday) or months in the report's time zone. */
export type ReportPeriod = 'all' | 'day' | 'week' | 'month';
/** The periods of {@link ReportPeriod}. */
export const REPORT_PERIODS: readonly ReportPeriod[] = ['all', 'day', 'week', 'month'];

/** What the report store is asked (built by {@link streetOfficeReport}; every array is parallel where paired). */
export interface StreetOfficeReportQuery {
  /** ISO 8601, inclusive. */
  readonly from: string;
  /** ISO 8601, exclusive. */
  readonly to: string;
  readonly period: ReportPeriod;
  /** IANA time zone of day/week/month boundaries. */
  readonly timeZone: string;
  readonly metrics: readonly string[];
  /** Every device with a registered position, and the street office it stands in. */
  readonly devices: readonly { readonly deviceId: string; readonly officeId: string }[];
  readonly offices: readonly { readonly id: string; readonly name: string }[];
  /** Canonical-unit threshold per metric (metrics without one get no exceedance hours). */
  readonly thresholds: Readonly<Record<string, number>>;
  /** A task not closed this many seconds after it was created is overdue. */
  readonly dueSeconds: number;
  /** ISO 8601: "now" for tasks that are still open. */
  readonly now: string;
}

/** One row of the report as the store computes it: a street office, metric and period. */
export interface StreetOfficeReportRow {
  readonly officeId: string;
  readonly officeName: string;
  readonly metric: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  /** Mean of the office's hourly means (canonical unit); null when no valid reading. */
  readonly mean: number | null;
  /** Hours with at least one valid reading. */
  readonly hoursWithData: number;
  /** Hours whose office mean exceeds the threshold; null when the metric has no threshold. */
  readonly exceedanceHours: number | null;
  readonly hotspotsOpened: number;
  readonly tasksOpened: number;
  readonly tasksResolved: number;
  readonly tasksOverdue: number;
  /** Median of (closed − created) over the tasks resolved in the period, seconds; null when none. */
  readonly medianResolveSeconds: number | null;
  /** 1 = worst: exceedance hours, then mean, then hotspots opened, descending, within period and metric. */
  readonly rank: number;
}

/** Storage of the report (`StreetOfficeReportRepository` of `@voc/db`). */
export interface StreetOfficeReportStore {
  streetOfficeReport(q: StreetOfficeReportQuery): Promise<StreetOfficeReportRow[]>;
}

/** What {@link streetOfficeReport} reads. */
export interface StreetOfficeReportDeps {
  readonly store: StreetOfficeReportStore;
  readonly jurisdictions: { list(): Promise<Jurisdiction[]> };
  readonly devices: { list(): Promise<Device[]> };
}

/** Settings of the report (`config.reports` and `config.api.maxRangeDays`). */
export interface StreetOfficeReportSettings {
  /** Per-metric threshold with the setting it came from. */
  readonly thresholds: Readonly<Record<string, { readonly value: number; readonly source: string }>>;
  readonly taskDueHours: number;
  readonly timeZone: string;
  readonly maxRangeDays: number;
}

/** A request of {@link streetOfficeReport}. */
export interface StreetOfficeReportRequest {
  readonly from: string;
  readonly to: string;
  readonly metrics: readonly string[];
  readonly period: ReportPeriod;
  /** Street offices to report on (a scoped key's offices, or a filter); undefined: all. */
  readonly offices?: readonly string[];
}

/** A report row as served: the store's row with unit and threshold. */
export interface StreetOfficeReportEntry {
  readonly period: { readonly start: string; readonly end: string };
  readonly streetOffice: { readonly id: string; readonly name: string };
  readonly metric: string;
  /** Canonical unit of the metric (catalogue), reference state included. */
  readonly unit: string;
  readonly refState: string;
  readonly mean: number | null;
  readonly hoursWithData: number;
  readonly exceedanceHours: number | null;
  /** The threshold and where it came from; null when no setting defines one for the metric. */
  readonly threshold: { readonly value: number; readonly source: string } | null;
  readonly hotspotsOpened: number;
  readonly tasks: {
    readonly opened: number;
    readonly resolved: number;
    readonly overdue: number;
    readonly medianHoursToResolve: number | null;
  };
  readonly rank: number;
}

/**
 * Street-office report (the district plan ranks street offices): per street office, period and
 * metric, the mean of hourly means over the devices standing in the office's area, hours of data,
 * exceedance hours (hourly office mean above the metric's threshold), hotspots opened (not withdrawn;
 * a hotspot belongs to the office of its task), tasks opened (by the window that opened them),
 * resolved (by closing time) and overdue (not closed within `taskDueHours` of creation, by now), the
 * median time to resolve, and a rank per period and metric (1 = worst).
 *
 * The metrics catalogue carries no limit values, so every threshold comes from a setting
 * (`VOC_REPORT_THRESHOLDS`, else `VOC_HOTSPOT_THRESHOLDS`) and says so in `threshold.source`.
 * Survey vans have no fixed position and are left out of the means (their readings are in the cell map).
 * @throws VocError `VOC_ERR_INVALID_REQUEST` for an unknown metric or street office, or a range beyond `maxRangeDays`
 */
export async function streetOfficeReport(
  deps: StreetOfficeReportDeps,
  req: StreetOfficeReportRequest,
  settings: StreetOfficeReportSettings,
  nowMs: number,
): Promise<StreetOfficeReportEntry[]> {
  const range = checkRange(req.from, req.to, settings.maxRangeDays);
  for (const m of req.metrics)
    if (!isMetricId(m)) throw new VocError(ERRORS.invalid_request.code, `metric: "${m}" is not in the metrics catalogue`);
  const all = await deps.jurisdictions.list();
  if (req.offices)
    for (const o of req.offices)
      if (!all.some((j) => j.id === o))
        throw new VocError(ERRORS.invalid_request.code, `street_office: "${o}" is not a known street office`);
  const offices = req.offices ? all.filter((j) => req.offices!.includes(j.id)) : all;
  const devices: { deviceId: string; officeId: string }[] = [];
  for (const d of await deps.devices.list()) {
    if (d.kind === 'van' || d.lat === null || d.lon === null) continue;
    const j = findJurisdiction({ lat: d.lat, lon: d.lon }, offices);
    if (j) devices.push({ deviceId: d.id, officeId: j.id });
  }
  const thresholds: Record<string, number> = {};
  for (const m of req.metrics) if (settings.thresholds[m]) thresholds[m] = settings.thresholds[m].value;
  const rows = await deps.store.streetOfficeReport({
    from: range.from,
    to: range.to,
    period: req.period,
    timeZone: settings.timeZone,
    metrics: req.metrics,
    devices,
    offices: offices.map((j) => ({ id: j.id, name: j.name })),
    thresholds,
    dueSeconds: settings.taskDueHours * 3600,
    now: new Date(nowMs).toISOString(),
  });
  return rows.map((r) => {
    const def = METRICS[r.metric as keyof typeof METRICS];
    return {
      period: { start: r.periodStart, end: r.periodEnd },
      streetOffice: { id: r.officeId, name: r.officeName },
      metric: r.metric,
      unit: def.unit,
      refState: def.refState,
      mean: r.mean,
      hoursWithData: r.hoursWithData,
      exceedanceHours: r.exceedanceHours,
      threshold: settings.thresholds[r.metric] ?? null,
      hotspotsOpened: r.hotspotsOpened,
      tasks: {
        opened: r.tasksOpened,
        resolved: r.tasksResolved,
        overdue: r.tasksOverdue,
        medianHoursToResolve: r.medianResolveSeconds === null ? null : r.medianResolveSeconds / 3600,
      },
      rank: r.rank,
    };
  });
}
