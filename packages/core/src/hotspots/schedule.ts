import { firstWindowNotDue, windowOf } from '@voc/hotspot';
import { evaluationJobId, type EvaluateJob, type SeriesKey } from '@voc/domain';

/** Storage the scheduler needs. Times epoch ms. */
export interface ScheduleStore {
  /** Database clock (the clock of `stored_at`). */
  now(): Promise<number>;
  /** Creates `scheduled` rows for windows in [from, to) that have none. @returns starts of windows in [from, to) still scheduled, ascending */
  ensureScheduled(series: SeriesKey, from: number, to: number): Promise<number[]>;
  /** Evaluated windows in [from, to) holding readings stored after `storedAfter` and after the window's watermark, with their evaluation count. */
  lateWindows(series: SeriesKey, from: number, to: number, storedAfter: number): Promise<{ window: number; version: number }[]>;
  cursor(series: SeriesKey): Promise<number | null>;
  setCursor(series: SeriesKey, t: number): Promise<void>;
  /** True when the window has an evaluation row that is still `scheduled`. */
  isPending(series: SeriesKey, window: number): Promise<boolean>;
}

/** The queue of evaluation jobs; adding an id it holds already is a no-op. */
export interface EvaluationQueue {
  add(jobId: string, data: EvaluateJob): Promise<void>;
}

/** What {@link scheduleDue} needs. */
export interface ScheduleDeps {
  readonly store: ScheduleStore;
  readonly queue: EvaluationQueue;
  /** Wall clock, epoch ms (injectable for tests). */
  readonly clock: () => number;
  readonly latenessMs: number;
  readonly reevaluateHours: number;
  /** Overlap of successive late-data scans, ms (covers writer transactions that commit after the scan started). */
  readonly marginMs: number;
}

/** What one scheduler tick enqueued. */
export interface ScheduleOutcome {
  readonly due: number[];
  readonly late: { window: number; version: number }[];
}

/**
 * One scheduler tick of a series:
 * - every window that ended at least the allowed lateness ago and started within the re-evaluation
 *   horizon (default 48 h) gets an evaluation row and, while not evaluated, an `evaluate` job with its
 *   deterministic id (so ticks of several workers add it once);
 * - evaluated windows inside the horizon that hold readings stored after their evaluation's watermark
 *   get a re-evaluation job `…/r<n>`; the scan covers readings stored since the previous tick (minus a
 *   margin), found through the BRIN index on `stored_at`.
 */
export async function scheduleDue(deps: ScheduleDeps, series: SeriesKey): Promise<ScheduleOutcome> {
  const now = deps.clock();
  const notDue = firstWindowNotDue(now, series.windowMinutes, deps.latenessMs);
  const from = windowOf(now - deps.reevaluateHours * 3_600_000, series.windowMinutes).start;
  const due = await deps.store.ensureScheduled(series, from, notDue);
  for (const w of due) {
    await deps.queue.add(evaluationJobId(series, w), {
      metric: series.metric,
      resolution: series.resolution,
      windowMinutes: series.windowMinutes,
      windowStart: new Date(w).toISOString(),
      trigger: 'schedule',
      enqueuedAt: now,
    });
  }
  const scanStart = await deps.store.now();
  const cursor = (await deps.store.cursor(series)) ?? scanStart - deps.reevaluateHours * 3_600_000;
  const late = from < notDue ? await deps.store.lateWindows(series, from, notDue, cursor - deps.marginMs) : [];
  for (const l of late) {
    await deps.queue.add(evaluationJobId(series, l.window, l.version), {
      metric: series.metric,
      resolution: series.resolution,
      windowMinutes: series.windowMinutes,
      windowStart: new Date(l.window).toISOString(),
      trigger: 'late_data',
      enqueuedAt: now,
    });
  }
  await deps.store.setCursor(series, scanStart);
  return { due, late };
}
