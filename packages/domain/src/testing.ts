import type { Logger } from './logger.js';
import type { DeviceKind } from './devices.js';
import type { ReadingMessage } from './messages.js';
import { METRICS, type MetricId } from './metrics.js';
import type { QaFlag } from './payload.js';

/**
 * Builders of normalised reading messages for tests and benchmarks (`@voc/domain/testing`): the shape
 * the gateway puts on `voc.readings.v1`, without going through the gateway.
 */

/**
 * One value of a built reading.
 * - `value`: in the metric's canonical unit (`METRICS[metric].unit`).
 * - `qa`: this value's QA flag; default the reading's `qa`, else `valid`.
 * - `raw`: value and unit as received; default the value itself in the canonical unit.
 */
export interface ReadingValueSpec {
  metric: MetricId;
  value: number;
  qa?: QaFlag;
  raw?: { value: number; unit: string };
}

/**
 * Envelope of a built reading; every field is optional.
 * - `kind`: device kind, default `fixed`.
 * - `h3`: the stored res-12 cell (h3-js hex), default `null`; not derived from `position`.
 * - `position`: per-reading WGS84 position in degrees (vans), default none (`lat`/`lon` null).
 * - `gps`: GPS block of a van reading, default none.
 * - `qa`: QA flag of every value that does not give its own, default `valid`.
 * - `receivedAt`: ISO 8601 UTC, default the reading's time.
 */
export interface ReadingSpec {
  kind?: DeviceKind;
  h3?: string | null;
  position?: { lat: number; lon: number };
  gps?: ReadingMessage['gps'];
  qa?: QaFlag;
  receivedAt?: string;
}

/**
 * A normalised reading message: each value's unit and reference state come from the metric catalogue
 * ({@link METRICS}), so the values are stored as the gateway would store them.
 * @param time ISO 8601 UTC string, or ms since the Unix epoch
 * @param values at least one, in canonical units
 */
export function buildReading(
  deviceId: string,
  time: string | number,
  values: readonly ReadingValueSpec[],
  spec: ReadingSpec = {},
): ReadingMessage {
  const iso = typeof time === 'number' ? new Date(time).toISOString() : time;
  return {
    deviceId,
    kind: spec.kind ?? 'fixed',
    time: iso,
    receivedAt: spec.receivedAt ?? iso,
    lat: spec.position?.lat ?? null,
    lon: spec.position?.lon ?? null,
    h3: spec.h3 ?? null,
    ...(spec.gps ? { gps: spec.gps } : {}),
    values: values.map((v) => {
      const def = METRICS[v.metric];
      return {
        metric: v.metric,
        value: v.value,
        unit: def.unit,
        rawValue: v.raw?.value ?? v.value,
        rawUnit: v.raw?.unit ?? def.unit,
        refState: def.refState,
        qa: v.qa ?? spec.qa ?? 'valid',
      };
    }),
  };
}

/** A {@link Logger} that drops every line (tests and benchmarks). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
