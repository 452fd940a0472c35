import { z } from 'zod';
import { KAFKA_HEADERS } from './topics.js';
import { SCHEMA_IDS } from './messages.js';

/**
 * Kinds of alert on `voc.alerts.v1` (key: the H3 cell, hex):
 * - `hotspot_opened`: a cell became a hotspot (persistence rule met, DOMAIN.md §6);
 * - `hotspot_cleared`: it was not high-value for the configured number of consecutive windows;
 * - `hotspot_withdrawn`: a re-evaluation after late data no longer supports a hotspot already announced;
 * - `task_opened`: a trace-to-source task was opened for a new hotspot.
 */
export const ALERT_TYPES = ['hotspot_opened', 'hotspot_cleared', 'hotspot_withdrawn', 'task_opened'] as const;
/** One of {@link ALERT_TYPES}. */
export type AlertType = (typeof ALERT_TYPES)[number];

/** Statistics of the cell in the window that triggered the alert; units are the metric's canonical unit. */
export const alertStatsSchema = z.object({
  n: z.number().int(),
  devices: z.number().int(),
  vanPasses: z.number().int(),
  mean: z.number(),
  median: z.number(),
  p90: z.number(),
  max: z.number(),
  /** Median of the eligible cell medians of the district in that window. */
  baseline: z.number().nullable(),
  ratio: z.number().nullable(),
  robustZ: z.number().nullable(),
  giStar: z.number().nullable(),
  reasons: z.array(z.enum(['relative', 'upper', 'mean', 'absolute'])),
});
/** Parsed {@link alertStatsSchema}. */
export type AlertStats = z.infer<typeof alertStatsSchema>;

const base = {
  /** Deterministic id (`<type>/<hotspot or task id>[/<window>]`): consumers deduplicate on it (delivery is at least once). */
  alertId: z.string().min(1),
  schema: z.literal(SCHEMA_IDS.alert),
  /** When the evaluation that raised it committed, ISO 8601 UTC. */
  occurredAt: z.iso.datetime(),
  metric: z.string(),
  /** Canonical unit of the metric's values. */
  unit: z.string(),
  /** H3 cell (hex) at `resolution`, and its centre (WGS-84). */
  cell: z.string(),
  resolution: z.number().int().min(0).max(15),
  lat: z.number(),
  lon: z.number(),
  windowMinutes: z.number().int().positive(),
  hotspotId: z.number().int(),
  /** Window the hotspot opened in, ISO 8601 UTC. */
  openedWindow: z.iso.datetime(),
  /** Window the alert is about, ISO 8601 UTC [start, end). */
  windowStart: z.iso.datetime(),
  windowEnd: z.iso.datetime(),
};

/** Value of a message on `voc.alerts.v1` (schema id `voc.alert.v1`). */
export const alertSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('hotspot_opened'), stats: alertStatsSchema }),
  z.object({ ...base, type: z.literal('hotspot_cleared') }),
  z.object({ ...base, type: z.literal('hotspot_withdrawn'), reason: z.string() }),
  z.object({
    ...base,
    type: z.literal('task_opened'),
    taskId: z.number().int(),
    streetOffice: z.object({ id: z.string(), name: z.string() }).nullable(),
    stats: alertStatsSchema,
    /** Best-ranked candidate sources (at most 5). */
    candidates: z.array(
      z.object({ facilityId: z.string(), name: z.string(), category: z.string(), distanceM: z.number(), score: z.number() }),
    ),
  }),
]);
/** Parsed {@link alertSchema}. */
export type Alert = z.infer<typeof alertSchema>;

/** Kafka headers of an alert record. */
export function alertHeaders(): Record<string, string> {
  return { [KAFKA_HEADERS.schema]: SCHEMA_IDS.alert, [KAFKA_HEADERS.contentType]: 'application/json' };
}
