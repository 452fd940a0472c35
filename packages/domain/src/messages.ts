import { z } from 'zod';
import { DEVICE_KINDS } from './devices.js';
import { REJECT_REASON_LIST } from './errors.js';
import { QA_FLAGS } from './payload.js';
import { REFERENCE_STATES } from './units.js';

/** Schema ids carried in the `voc-schema` Kafka header. */
export const SCHEMA_IDS = {
  reading: 'voc.reading.v1',
  deadletter: 'voc.deadletter.v1',
  alert: 'voc.alert.v1',
} as const;

/** H3 resolution at which every reading's cell is stored (res 12: edge ≈ 9.4 m, Uber H3 resolution table). Grid cells at res 7–10 are its parents. */
export const STORED_H3_RESOLUTION = 12;

/** One normalised value: canonical unit beside the value as received. */
export const normalizedValueSchema = z.object({
  metric: z.string(),
  /** Value in the metric's canonical unit and reference state. */
  value: z.number(),
  unit: z.string(),
  /** Value, unit and reference state exactly as received, so a corrected conversion never loses data. */
  rawValue: z.number(),
  rawUnit: z.string(),
  refState: z.enum(REFERENCE_STATES),
  qa: z.enum(QA_FLAGS),
});
/** Parsed {@link normalizedValueSchema}. */
export type NormalizedValue = z.infer<typeof normalizedValueSchema>;

/**
 * Value of a message on `voc.readings.v1` (key: device id): one reading after validation and
 * normalisation by the gateway. Times are ISO 8601 UTC strings; `h3` is the res-12 cell (hex) of the
 * reading's position (registry position for fixed and fume devices, GPS for vans).
 */
export const readingMessageSchema = z.object({
  deviceId: z.string(),
  kind: z.enum(DEVICE_KINDS),
  time: z.iso.datetime(),
  receivedAt: z.iso.datetime(),
  seq: z.number().int().optional(),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  h3: z.string().nullable(),
  gps: z
    .object({ speedKmh: z.number().optional(), headingDeg: z.number().optional(), fix: z.string(), hdop: z.number().optional() })
    .optional(),
  values: z.array(normalizedValueSchema).min(1),
});
/** Parsed {@link readingMessageSchema}. */
export type ReadingMessage = z.infer<typeof readingMessageSchema>;

/**
 * Value of a message on `voc.deadletter.v1`: an input that could not be accepted or stored.
 * `payload` is the raw bytes, base64-encoded; `path` points inside the payload when only part of it
 * was rejected (e.g. `readings[3].values[1]`); `source` is the Kafka position for writer rejections.
 */
export const deadLetterSchema = z.object({
  reason: z.enum(REJECT_REASON_LIST as [string, ...string[]]),
  code: z.string(),
  detail: z.string(),
  stage: z.enum(['gateway', 'writer']),
  deviceId: z.string().optional(),
  mqttTopic: z.string().optional(),
  path: z.string().optional(),
  source: z.object({ topic: z.string(), partition: z.number().int(), offset: z.string() }).optional(),
  receivedAt: z.iso.datetime(),
  payload: z.string(),
  payloadEncoding: z.literal('base64'),
  payloadBytes: z.number().int().min(0),
});
/** Parsed {@link deadLetterSchema}. */
export type DeadLetter = z.infer<typeof deadLetterSchema>;
