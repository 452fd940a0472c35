import { windowMs, windowStarts } from '@voc/hotspot';
import { evaluateWindow } from './evaluate.js';
import type { EvaluateOutcome, EvaluationDeps } from './ports.js';

/** Where the backfill learns which windows hold readings. */
export interface BackfillSource {
  /** Starts (epoch ms, ascending) of the windows of [from, to) that hold readings of `metric`. */
  windowsWithData(metric: string, from: number, to: number, windowMinutes: number): Promise<number[]>;
}

/** A historical range to evaluate. Times epoch ms; `to` exclusive. */
export interface BackfillRequest {
  readonly from: number;
  readonly to: number;
  readonly metrics: readonly string[];
  /**
   * When given, only windows with readings are evaluated, each followed by the max(openN, clearN)
   * windows after it (so open hotspots clear as they would). The result is the same as evaluating
   * every window: a window without readings has no high-value cell, and persistence steps over the
   * windows in between as not high-value.
   */
  readonly source?: BackfillSource;
  /** Called after each window (progress). */
  readonly onWindow?: (o: EvaluateOutcome) => void;
}

/** Totals of a backfill. */
export interface BackfillSummary {
  /** Windows evaluated, over all metrics. */
  readonly windows: number;
  readonly opened: number;
  readonly cleared: number;
  readonly withdrawn: number;
  readonly tasksOpened: number;
  readonly durationMs: number;
}

/**
 * Evaluates every window of [from, to) for each metric, in window order, one transaction per window,
 * with the settings of `deps.method` (window length and resolution included). Persistence is applied in
 * window order; after the last window of a metric it also runs forward over windows evaluated earlier,
 * so a range inside an evaluated history stays consistent. Deterministic: the same readings and
 * settings give the same hotspots and tasks, and running it again changes nothing.
 */
export async function backfill(deps: EvaluationDeps, req: BackfillRequest): Promise<BackfillSummary> {
  const started = Date.now();
  const all = windowStarts(req.from, req.to, deps.method.windowMinutes);
  const len = windowMs(deps.method.windowMinutes);
  const tail = Math.max(deps.method.openN, deps.method.clearN);
  let windows = 0;
  let opened = 0;
  let cleared = 0;
  let withdrawn = 0;
  let tasksOpened = 0;
  for (const metric of req.metrics) {
    let starts = all;
    if (req.source) {
      const keep = new Set<number>();
      for (const w of await req.source.windowsWithData(metric, req.from, req.to, deps.method.windowMinutes)) {
        for (let j = 0; j <= tail; j += 1) if (w + j * len < req.to) keep.add(w + j * len);
      }
      starts = [...keep].sort((a, b) => a - b);
    }
    windows += starts.length;
    for (const [i, w] of starts.entries()) {
      const o = await evaluateWindow(deps, { metric, windowStart: w, jobId: null, trigger: 'backfill', cascade: i === starts.length - 1 });
      opened += o.opened.length;
      cleared += o.cleared.length;
      withdrawn += o.withdrawn.length;
      tasksOpened += o.tasksOpened.length;
      req.onWindow?.(o);
    }
  }
  return { windows, opened, cleared, withdrawn, tasksOpened, durationMs: Date.now() - started };
}
