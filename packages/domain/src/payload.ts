import { z } from 'zod';
import { REFERENCE_STATES } from './units.js';

/**
 * Quality-assurance flag of one value.
 * - `valid`: usable; the only flag the hotspot grid counts.
 * - `suspect`: stored, shown, not used for hotspots (e.g. a small negative concentration inside the noise band).
 * - `invalid`: the device or an operator marked it wrong.
 * - `maintenance`, `calibration`: instrument not measuring ambient air (HJ 212 flags M and C).
 */
export const QA_FLAGS = ['valid', 'suspect', 'invalid', 'maintenance', 'calibration'] as const;
/** One of {@link QA_FLAGS}. */
export type QaFlag = (typeof QA_FLAGS)[number];

/** Tokens some devices send for not-a-number values; they are rejected as `non_finite_value`. */
export const NON_FINITE_TOKENS = ['NaN', 'nan', 'Infinity', '-Infinity', 'inf', '-inf', 'Inf', '-Inf'] as const;

/** One measured value as a device sends it. `ref` defaults to the metric's reference state. */
export const wireValueSchema = z
  .object({
    metric: z.string().min(1).max(64),
    value: z.union([z.number(), z.enum(NON_FINITE_TOKENS)]),
    unit: z.string().max(32),
    ref: z.enum(REFERENCE_STATES).optional(),
    qa: z.enum(QA_FLAGS).optional(),
  })
  .strict();

/**
 * GPS fix of a survey-van reading. `fix`: `none` (no fix), `2d`, `3d`, `dgps`. Speed km/h ≥ 0; heading
 * degrees clockwise from true north. Coordinates are WGS-84 (DOMAIN.md §7).
 */
export const wireGpsSchema = z
  .object({
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    speedKmh: z.number().min(0).max(400).optional(),
    headingDeg: z.number().min(0).max(360).optional(),
    fix: z.enum(['none', '2d', '3d', 'dgps']),
    hdop: z.number().min(0).max(100).optional(),
  })
  .strict();
/** Parsed {@link wireGpsSchema}. */
export type WireGps = z.infer<typeof wireGpsSchema>;

/**
 * One reading: the values a device measured at one instant.
 * `ts` is ISO 8601 with an explicit offset (`Z` or `+08:00`) or Unix epoch milliseconds; a local time
 * without offset is refused because it is ambiguous. `seq` is the device's own counter (optional).
 */
export const wireReadingSchema = z
  .object({
    ts: z.union(
      [
        z.iso.datetime({
          offset: true,
          error:
            'not an ISO 8601 time with a UTC offset ("Z" or "+08:00"; a local time without offset is ambiguous) nor epoch milliseconds',
        }),
        z.number().int().min(0),
      ],
      { error: 'must be an ISO 8601 time with a UTC offset ("Z" or "+08:00") or epoch milliseconds' },
    ),
    seq: z.number().int().min(0).optional(),
    values: z.array(wireValueSchema).min(1).max(64),
    gps: wireGpsSchema.optional(),
  })
  .strict();
/** Parsed {@link wireReadingSchema}. */
export type WireReading = z.infer<typeof wireReadingSchema>;

/**
 * JSON payload on `voc/v1/{kind}/{deviceId}/up`: one reading, or `{ "readings": [...] }` (≤ 1000).
 * `deviceId`, when present, must equal the id in the topic.
 */
export const wirePayloadSchema = z.union([
  wireReadingSchema.extend({ deviceId: z.string().optional() }).strict(),
  z.object({ deviceId: z.string().optional(), readings: z.array(wireReadingSchema).min(1).max(1000) }).strict(),
]);
/** Parsed {@link wirePayloadSchema}. */
export type WirePayload = z.infer<typeof wirePayloadSchema>;

/** Normalises a payload to its list of readings. */
export function payloadReadings(p: WirePayload): WireReading[] {
  return 'readings' in p ? p.readings : [p];
}
