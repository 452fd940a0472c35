import { z } from 'zod';
import { compactIso } from '@voc/hotspot';
import type { SeriesKey } from './ports.js';

/**
 * BullMQ jobs of the hotspot worker (one queue, `config.hotspot.queue`):
 * - `tick` (one job scheduler per metric and resolution, every `tickMs`): enqueues the evaluation of every
 *   window that has closed plus the allowed lateness, and re-evaluations of closed windows that received
 *   late readings;
 * - `evaluate`: evaluates one window of one metric.
 */
export const JOB_NAMES = { tick: 'tick', evaluate: 'evaluate' } as const;

/** Data of a `tick` job. */
export const tickJobSchema = z.object({ metric: z.string(), resolution: z.number().int(), windowMinutes: z.number().int().positive() });
/** Parsed {@link tickJobSchema}. */
export type TickJob = z.infer<typeof tickJobSchema>;

/** Data of an `evaluate` job. `enqueuedAt` (epoch ms) bounds how long it waits for the previous window. */
export const evaluateJobSchema = z.object({
  metric: z.string(),
  resolution: z.number().int(),
  windowMinutes: z.number().int().positive(),
  windowStart: z.iso.datetime(),
  trigger: z.enum(['schedule', 'late_data', 'manual']),
  enqueuedAt: z.number(),
});
/** Parsed {@link evaluateJobSchema}. */
export type EvaluateJob = z.infer<typeof evaluateJobSchema>;

/**
 * Deterministic job id of an evaluation: `eval/<metric>/<resolution>/<window start, ISO 8601 basic>`,
 * and `…/r<n>` for the re-evaluation after the n-th committed evaluation. Any number of workers and
 * schedulers adding the same window add one job (BullMQ ignores an id it already holds; it refuses
 * ':' in custom ids, hence '/').
 */
export function evaluationJobId(series: SeriesKey, windowStart: number, reevaluationOf?: number): string {
  const base = `eval/${series.metric}/${series.resolution}/${compactIso(windowStart)}`;
  return reevaluationOf === undefined ? base : `${base}/r${reevaluationOf}`;
}

/** Id of the job scheduler of one metric and resolution. */
export function tickSchedulerId(series: SeriesKey): string {
  return `tick/${series.metric}/${series.resolution}`;
}
