import { z } from 'zod';
import { ERROR_CODES, VocError } from './errors.js';

/** A series of windows: one metric on one grid (H3 resolution, window length in minutes). */
export interface SeriesKey {
  readonly metric: string;
  readonly resolution: number;
  readonly windowMinutes: number;
}

/** ISO 8601 basic format without separators, e.g. `20170101T060000Z`: usable inside job ids (BullMQ refuses ':' there). */
export function compactIso(t: number): string {
  return new Date(t)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/**
 * BullMQ jobs of the hotspot worker (one queue, `config.hotspot.queue`):
 * - `tick` (one job scheduler per metric and resolution, every `tickMs`): enqueues the evaluation of every
 *   window that has closed plus the allowed lateness, and re-evaluations of closed windows that received
 *   late readings;
 * - `evaluate`: evaluates one window of one metric.
 */
export const JOB_NAMES = { tick: 'tick', evaluate: 'evaluate' } as const;
/** One of {@link JOB_NAMES}. */
export type JobName = (typeof JOB_NAMES)[keyof typeof JOB_NAMES];

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

/**
 * The boot check of a worker's handlers (STYLE.md §11): every job of the catalogue must have exactly
 * one handler. Returns the handlers by name.
 * @param entries `[job name, handler]` pairs as the worker registers them
 * @param catalogue the worker's job names (default the hotspot worker's {@link JOB_NAMES}; the compliance worker passes {@link COMPLIANCE_JOB_NAMES})
 * @throws VocError `VOC_ERR_CONFIG_INVALID` naming each missing, duplicate or unknown job
 */
export function registerJobHandlers<H, N extends string = JobName>(
  entries: readonly (readonly [string, H])[],
  catalogue: Readonly<Record<string, N>> = JOB_NAMES as unknown as Record<string, N>,
): ReadonlyMap<N, H> {
  const known = new Set<string>(Object.values(catalogue));
  const handlers = new Map<N, H>();
  const problems: string[] = [];
  for (const [name, handler] of entries) {
    if (!known.has(name)) problems.push(`no job "${name}" in the catalogue`);
    else if (handlers.has(name as N)) problems.push(`job "${name}" has two handlers`);
    else handlers.set(name as N, handler);
  }
  for (const name of known) if (!handlers.has(name as N)) problems.push(`job "${name}" has no handler`);
  if (problems.length > 0) throw new VocError(ERROR_CODES.config_invalid, `job handlers: ${problems.join('; ')}`);
  return handlers;
}

/**
 * BullMQ jobs of the compliance worker (queue `config.compliance.queue`): `compliance-tick` (one job
 * scheduler, every `VOC_COMPLIANCE_TICK_MS`) evaluates every fume compliance rule on the rolling
 * window ending at the tick time minus the lateness.
 */
export const COMPLIANCE_JOB_NAMES = { tick: 'compliance-tick' } as const;
/** One of {@link COMPLIANCE_JOB_NAMES}. */
export type ComplianceJobName = (typeof COMPLIANCE_JOB_NAMES)[keyof typeof COMPLIANCE_JOB_NAMES];
/** Id of the compliance worker's job scheduler. */
export const COMPLIANCE_TICK_SCHEDULER_ID = 'compliance/tick';
