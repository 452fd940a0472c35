import { windowStarts } from '@voc/hotspot';
import { evaluateWindow, type EvaluateOutcome, type EvaluationDeps } from './evaluate.js';

/** A historical range to evaluate. Times epoch ms; `to` exclusive. */
export interface BackfillRequest {
  readonly from: number;
  readonly to: number;
  readonly metrics: readonly string[];
  /** Called after each window (progress). */
  readonly onWindow?: (o: EvaluateOutcome) => void;
}

/** Totals of a backfill. */
export interface BackfillSummary {
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
  const starts = windowStarts(req.from, req.to, deps.method.windowMinutes);
  let opened = 0;
  let cleared = 0;
  let withdrawn = 0;
  let tasksOpened = 0;
  for (const metric of req.metrics) {
    for (const [i, w] of starts.entries()) {
      const o = await evaluateWindow(deps, { metric, windowStart: w, jobId: null, trigger: 'backfill', cascade: i === starts.length - 1 });
      opened += o.opened.length;
      cleared += o.cleared.length;
      withdrawn += o.withdrawn.length;
      tasksOpened += o.tasksOpened.length;
      req.onWindow?.(o);
    }
  }
  return { windows: starts.length * req.metrics.length, opened, cleared, withdrawn, tasksOpened, durationMs: Date.now() - started };
}
