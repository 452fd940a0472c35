import { ERROR_CODES, isMetricId, METRICS, VocError } from '@voc/domain';
import { evaluateCells, windowMs, type Window } from '@voc/hotspot';
import type { EvaluateOutcome, EvaluateRequest, EvaluationDeps, SeriesKey, UsableFilter } from './ports.js';
import { iso } from './alerts.js';
import { Reconciler } from './decide.js';
import { raiseSensorChecks } from './sensor-checks.js';

/**
 * Evaluates one window of one metric (DOMAIN.md §6) in a single database transaction:
 *
 * 1. recompute the cell rollup of the window from raw readings (so late readings count) and apply the
 *    method (eligibility, baseline, ratio, robust z, thresholds, Gi*);
 * 2. apply persistence in window order: the state after the previous evaluated window, stepped over
 *    this window's flags, then — when this is a re-evaluation — over every later evaluated window until
 *    the states match what is stored (nothing further changes);
 * 3. reconcile hotspots with the new states: open (with one task per cell while active), continue
 *    (evidence), clear (noted on the task), and withdraw hotspots a corrected history no longer
 *    supports (noted, never deleted);
 * 4. write alerts to the outbox; a dispatcher publishes them after commit.
 *
 * Idempotent: running it again on the same data writes the same rows; a job id that already
 * committed is skipped, so a job retried after its commit does nothing.
 * @throws VocError invalid_request for an unknown metric or a misaligned window start;
 *   database errors propagate (the job is retried)
 */
export async function evaluateWindow(deps: EvaluationDeps, req: EvaluateRequest): Promise<EvaluateOutcome> {
  const s = deps.method;
  if (!isMetricId(req.metric)) throw new VocError(ERROR_CODES.invalid_request, `unknown metric "${req.metric}"`);
  const W = windowMs(s.windowMinutes);
  if (req.windowStart % W !== 0)
    throw new VocError(ERROR_CODES.invalid_request, `window start ${iso(req.windowStart)} is not aligned to ${s.windowMinutes} min`);
  const series: SeriesKey = { metric: req.metric, resolution: s.resolution, windowMinutes: s.windowMinutes };
  const window: Window = { start: req.windowStart, end: req.windowStart + W };
  const filter: UsableFilter = {
    unit: METRICS[req.metric].unit,
    vanMaxSpeedKmh: s.vanMaxSpeedKmh,
    vanPassGapSeconds: s.vanPassGapSeconds,
    minFixedReadings: s.minReadings,
  };
  const started = Date.now();

  return deps.store
    .run(async (tx) => {
      await tx.lockWindow(series, window);
      if (req.jobId !== null && (await tx.hasRun(req.jobId))) {
        const phases = { rollupMs: 0, methodMs: 0, writeMs: 0, persistenceMs: 0, commitMs: 0 };
        return {
          skipped: true,
          series,
          windowStart: window.start,
          district: null,
          opened: [],
          cleared: [],
          withdrawn: [],
          tasksOpened: [],
          windowsWritten: 0,
          phases,
          t0: performance.now(),
        };
      }
      const dbNow = await tx.now();
      let t = performance.now();
      const lap = () => {
        const now = performance.now();
        const d = now - t;
        t = now;
        return Math.round(d);
      };
      const stats = await tx.aggregate(series, window, filter);
      // One client per transaction: the two history queries run one after the other.
      const temporal = await tx.cellHistory(series, window.start, s);
      const spatialHighCount = await tx.spatialHighCounts(series, window.start, s.suspectWindows);
      const rollupMs = lap();
      const { district, cells } = evaluateCells(stats, s, req.metric, undefined, { temporal, spatialHighCount });
      const methodMs = lap();
      await tx.replaceCellStats(series, window.start, cells);
      const writeMs = lap();
      const levelShifted = cells.some((c) => c.levelShift)
        ? await tx.levelShiftCounts(series, window.start, s.openN)
        : new Map<string, number>();
      const sensorChecksOpened = await raiseSensorChecks(tx, deps, series, window, filter, cells, levelShifted);
      await tx.lockSeries(series);
      const rec = new Reconciler(tx, deps, series, W, filter, dbNow, { window: window.start, district, cells });
      const windowsWritten = await rec.persist(window.start, new Set(cells.filter((c) => c.high).map((c) => c.cell)), req.cascade ?? true);
      await tx.finish(series, window, {
        district,
        watermark: dbNow - deps.watermarkMarginMs,
        jobId: req.jobId,
        trigger: req.trigger,
        startedAt: dbNow,
        durationMs: Date.now() - started,
        settings: s,
        opened: rec.opened.length,
        cleared: rec.cleared.length,
      });
      const persistenceMs = lap();
      const outcome = {
        skipped: false,
        series,
        windowStart: window.start,
        district,
        opened: rec.opened,
        cleared: rec.cleared,
        withdrawn: rec.withdrawn,
        tasksOpened: rec.tasks.tasksOpened,
        sensorChecksOpened,
        windowsWritten,
        phases: { rollupMs, methodMs, writeMs, persistenceMs },
      };
      deps.log.debug(
        {
          metric: req.metric,
          window: iso(window.start),
          cells: district.cells,
          eligible: district.eligible,
          high: district.high,
          opened: rec.opened.length,
          cleared: rec.cleared.length,
        },
        'window evaluated',
      );
      return { ...outcome, t0: performance.now() };
    })
    .then(({ t0, ...o }): EvaluateOutcome => ({
      ...o,
      durationMs: Date.now() - started,
      phases: { ...o.phases, commitMs: Math.round(performance.now() - t0) },
    }));
}
