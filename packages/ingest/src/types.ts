import type { Device, DeviceKind, NON_FINITE_TOKENS, QaFlag, ReadingMessage, ReferenceState, Rejection, WireGps } from '@voc/domain';

/** Port: the device registry as ingest reads it (a cached `DeviceRepository` in production). */
export interface DeviceDirectory {
  /** The registered device, or undefined when unknown. Throws only on infrastructure failure (retryable). */
  get(id: string): Promise<Device | undefined>;
}

/** Time limits of ingest, from `config.ingest` (DOMAIN.md and issue 2 defaults in `packages/config`). */
export interface TimeLimits {
  /** How far device time may lag behind receive time, ms (default 7 days, VOC_ALLOWED_LATENESS_MS). */
  readonly allowedLatenessMs: number;
  /** How far device time may run ahead of receive time, ms (default 5 min, VOC_MAX_CLOCK_SKEW_MS). */
  readonly maxClockSkewMs: number;
  /**
   * Plausibility floor, epoch ms: a device time before it is refused as `timestamp_too_old` whatever the
   * allowed lateness (a clock reset to 1970 or 2000 is not a reading from before the network existed).
   * Default {@link DEFAULT_EARLIEST_TIME_MS} (VOC_EARLIEST_READING_TIME).
   */
  readonly earliestTimeMs?: number;
}

/**
 * Default plausibility floor of device times: 2013-01-01T00:00:00Z, before the oldest real data the
 * project replays (the Beijing multi-site records start on 2013-03-01) and after every clock-reset
 * default (1970-01-01, 2000-01-01 of GPS and RTC modules).
 */
export const DEFAULT_EARLIEST_TIME_MS = Date.UTC(2013, 0, 1);

/**
 * One value as a transport decoded it, before any check. `metric` is a catalogue id (`tvoc`, `benzene`;
 * a transport with its own codes, such as HJ 212, maps them first). `value` is a number or one of the
 * non-finite tokens (refused as `non_finite_value`). `unit` is the spelling the device used; without
 * it the metric's canonical unit is assumed. `ref` defaults to the metric's reference state; `qa` (the
 * device's flag, e.g. HJ 212 `M` → `maintenance`) to `valid`.
 */
export interface DecodedValue {
  readonly metric: string;
  readonly value: number | (typeof NON_FINITE_TOKENS)[number];
  readonly unit?: string;
  readonly ref?: ReferenceState;
  readonly qa?: QaFlag;
}

/**
 * One reading as a transport decoded it: the values measured at one instant. `ts` is device time: an
 * ISO 8601 string with an offset, Unix epoch milliseconds, or a `Date`. `gps` is required for survey
 * vans (fixed and fume devices take their registry position); `seq` is the device's own counter.
 */
export interface DecodedReading {
  readonly ts: string | number | Date;
  readonly seq?: number;
  readonly gps?: WireGps;
  readonly values: readonly DecodedValue[];
}

/**
 * What one transport message carried, already decoded. `claim` is the kind the envelope asserts (an
 * MQTT topic's `{kind}` segment) with the words naming where it came from, used in the detail of a
 * `kind_mismatch` ("topic voc/v1/van/x/up"); without it the kind is not checked. `batch` says whether
 * the message held a list: rejection paths then read `readings[3].values[1]`, otherwise `values[1]`.
 */
export interface DecodedMessage {
  readonly deviceId: string;
  readonly claim?: { readonly kind: DeviceKind; readonly by: string };
  readonly batch: boolean;
  readonly readings: readonly DecodedReading[];
}

/**
 * One rejected part of a message. Without `path` the whole message was rejected; with it, one
 * reading (`readings[3]`) or one value (`readings[3].values[1]`, or `values[1]` for a single reading).
 * `deviceId` is the device id when the envelope could name it.
 */
export interface RejectedItem {
  readonly rejection: Rejection;
  readonly deviceId?: string;
  readonly path?: string;
}

/** What one message became: normalised readings for Kafka and rejections for the dead-letter topic. */
export interface IngestResult {
  readonly accepted: ReadingMessage[];
  readonly rejected: RejectedItem[];
}

/** A check's result: the value, or the rejection with its reason and detail. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; rejection: Rejection };

/** Builds a failed {@link Outcome}. */
export const reject = (reason: Rejection['reason'], detail: string): { ok: false; rejection: Rejection } => ({
  ok: false,
  rejection: { reason, detail },
});

/** Longest quotation of device input inside a rejection detail (characters). */
const MAX_QUOTE = 80;

/** Shortens device-provided text quoted in a detail to {@link MAX_QUOTE} characters. */
export function quote(s: string): string {
  return s.length > MAX_QUOTE ? `${s.slice(0, MAX_QUOTE)}…` : s;
}
