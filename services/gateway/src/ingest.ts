import { latLngToCell } from 'h3-js';
import type { z } from 'zod';
import {
  METRICS,
  STORED_H3_RESOLUTION,
  isMetricId,
  metricAllowedForKind,
  parseDeviceTopic,
  parseUnit,
  toCanonical,
  wirePayloadSchema,
  type Device,
  type NormalizedValue,
  type QaFlag,
  type ReadingMessage,
  type Rejection,
  type WirePayload,
  type WireReading,
} from '@voc/domain';

/** Port: the device registry as the gateway reads it (a cached `DeviceRepository` in production). */
export interface DeviceDirectory {
  /** The registered device, or undefined when unknown. Throws only on infrastructure failure (retryable). */
  get(id: string): Promise<Device | undefined>;
}

/** Ingest limits, from `config.ingest` (DOMAIN.md and issue 2 defaults in `packages/config`). */
export interface IngestSettings {
  /** Largest accepted MQTT payload in bytes (default 256 KiB). */
  readonly maxPayloadBytes: number;
  /** How far device time may lag behind receive time, ms (default 7 days). */
  readonly allowedLatenessMs: number;
  /** How far device time may run ahead of receive time, ms (default 5 min). */
  readonly maxClockSkewMs: number;
}

/**
 * One rejected part of an MQTT message. Without `path` the whole message was rejected; with it, one
 * reading (`readings[3]`) or one value (`readings[3].values[1]`, or `values[1]` for a single reading).
 * `deviceId` is the id from the topic when the topic could be parsed.
 */
export interface RejectedItem {
  readonly rejection: Rejection;
  readonly deviceId?: string;
  readonly path?: string;
}

/** What one MQTT message became: normalised readings for Kafka and rejections for the dead-letter topic. */
export interface IngestResult {
  readonly accepted: ReadingMessage[];
  readonly rejected: RejectedItem[];
}

/** The ingest service: validates and normalises one MQTT message. */
export interface IngestService {
  /**
   * @param mqttTopic topic the message arrived on (`voc/v1/{kind}/{deviceId}/up`)
   * @param payload raw MQTT payload
   * @param receivedAt gateway receive time
   * @throws only when the device directory fails (transient; retry the same message later)
   */
  ingest(mqttTopic: string, payload: Buffer, receivedAt: Date): Promise<IngestResult>;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; rejection: Rejection };
const reject = (reason: Rejection['reason'], detail: string): { ok: false; rejection: Rejection } => ({
  ok: false,
  rejection: { reason, detail },
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Longest quotation of device input inside a rejection detail. */
const MAX_QUOTE = 80;
/** At most this many zod issues are listed in a `schema_violation` detail. */
const MAX_ISSUES = 20;

/**
 * Builds the ingest service (thin edges: the MQTT adapter calls {@link IngestService.ingest} per message).
 *
 * Whole-message rejections, in this order: `payload_too_large`, `bad_topic`, `malformed_json` (not UTF-8
 * or not JSON), `schema_violation` (`wirePayloadSchema`; the detail lists the zod issues with their
 * paths), `device_id_mismatch`, `unknown_device`, `device_disabled`, `kind_mismatch`.
 *
 * Per reading: `timestamp_in_future` (device time more than `maxClockSkewMs` after receive time),
 * `timestamp_too_old` (more than `allowedLatenessMs` before it), `missing_position` (van without `gps`).
 *
 * Per value: `unknown_metric` (not in the catalogue, or a fume-only metric from another kind),
 * `non_finite_value` (`NaN`/`Infinity` tokens, quoted or bare, and numbers that overflow a double such
 * as `1e999`), `unit_not_convertible` (unknown spelling or no conversion), `reference_state_mismatch`
 * (from `toCanonical`), `value_out_of_range` (outside `METRICS[id].range` in the canonical unit).
 * A negative concentration (gas or particulate metric) inside the range is instrument noise around
 * zero: accepted with QA `suspect` unless the device flagged it `invalid`, `maintenance` or
 * `calibration`; negative temperatures and dew points are ordinary values and keep their flag. Other
 * values of the same reading are unaffected by a rejected one.
 *
 * Position: fixed and fume devices take the registry lat/lon, vans the reading's GPS (speed, heading,
 * fix and HDOP copied); `h3` is the res-{@link STORED_H3_RESOLUTION} cell of that position.
 */
export function createIngestService(deps: { devices: DeviceDirectory; settings: IngestSettings }): IngestService {
  const { devices, settings } = deps;
  return {
    async ingest(mqttTopic, payload, receivedAt) {
      const whole = (reason: Rejection['reason'], detail: string, deviceId?: string): IngestResult => ({
        accepted: [],
        rejected: [{ rejection: { reason, detail }, ...(deviceId === undefined ? {} : { deviceId }) }],
      });

      if (payload.length > settings.maxPayloadBytes) {
        return whole(
          'payload_too_large',
          `payload is ${payload.length} bytes; the limit (VOC_MAX_PAYLOAD_BYTES) is ${settings.maxPayloadBytes} bytes`,
          parseDeviceTopic(mqttTopic)?.deviceId,
        );
      }
      const topic = parseDeviceTopic(mqttTopic);
      if (!topic) return whole('bad_topic', `topic "${quote(mqttTopic)}" does not follow voc/v1/{fixed|van|fume}/{deviceId}/up`);
      const deviceId = topic.deviceId;

      const parsed = parseJson(payload);
      if (!parsed.ok) return whole(parsed.rejection.reason, parsed.rejection.detail, deviceId);
      const checked = validatePayload(parsed.value);
      if (!checked.ok) return whole(checked.rejection.reason, checked.rejection.detail, deviceId);
      const body = checked.value;

      if (body.deviceId !== undefined && body.deviceId !== deviceId) {
        return whole(
          'device_id_mismatch',
          `payload field deviceId "${quote(body.deviceId)}" differs from the device id "${deviceId}" in topic ${mqttTopic}`,
          deviceId,
        );
      }
      const device = await devices.get(deviceId);
      if (!device) return whole('unknown_device', `device "${deviceId}" is not registered`, deviceId);
      if (device.status !== 'active')
        return whole('device_disabled', `device "${deviceId}" is ${device.status}; only active devices are accepted`, deviceId);
      if (device.kind !== topic.kind) {
        return whole(
          'kind_mismatch',
          `topic ${mqttTopic} claims kind "${topic.kind}" but device "${deviceId}" is registered as "${device.kind}"`,
          deviceId,
        );
      }

      const accepted: ReadingMessage[] = [];
      const rejected: RejectedItem[] = [];
      const batch = 'readings' in body;
      const readings: WireReading[] = batch ? body.readings : [body];
      // (metric, time in ms) already accepted from this payload, with the path that carried it.
      const seen = new Map<string, string>();
      readings.forEach((reading, i) => {
        const readingPath = batch ? `readings[${i}]` : undefined;
        const at = (field: string) => (readingPath ? `${readingPath}.${field}` : field);
        const time = checkTime(reading.ts, receivedAt, settings, at('ts'));
        if (!time.ok) {
          rejected.push({ rejection: time.rejection, deviceId, ...(readingPath ? { path: readingPath } : {}) });
          return;
        }
        const position = positionOf(device, reading, at('gps'));
        if (!position.ok) {
          rejected.push({ rejection: position.rejection, deviceId, ...(readingPath ? { path: readingPath } : {}) });
          return;
        }
        const values: NormalizedValue[] = [];
        reading.values.forEach((v, j) => {
          const valuePath = at(`values[${j}]`);
          const n = normalizeValue(v, device, valuePath);
          if (!n.ok) {
            rejected.push({ rejection: n.rejection, deviceId, path: valuePath });
            return;
          }
          // Storage keeps one value per (device, metric, millisecond): a second one in the same payload
          // would be dropped by the idempotent insert, so it is refused here, visibly.
          const key = `${n.value.metric}|${time.value.getTime()}`;
          const first = seen.get(key);
          if (first !== undefined) {
            rejected.push({
              rejection: {
                reason: 'duplicate_reading',
                detail: `${valuePath}: ${n.value.metric} at ${time.value.toISOString()} was already given by ${first} in this payload (one value per device, metric and millisecond)`,
              },
              deviceId,
              path: valuePath,
            });
            return;
          }
          seen.set(key, valuePath);
          values.push(n.value);
        });
        if (values.length === 0) return;
        const { lat, lon, gps } = position.value;
        accepted.push({
          deviceId,
          kind: device.kind,
          time: time.value.toISOString(),
          receivedAt: receivedAt.toISOString(),
          ...(reading.seq === undefined ? {} : { seq: reading.seq }),
          lat,
          lon,
          h3: lat === null || lon === null ? null : latLngToCell(lat, lon, STORED_H3_RESOLUTION),
          ...(gps ? { gps } : {}),
          values,
        });
      });
      return { accepted, rejected };
    },
  };
}

/** Shortens device-provided text quoted in a detail. */
function quote(s: string): string {
  return s.length > MAX_QUOTE ? `${s.slice(0, MAX_QUOTE)}…` : s;
}

/**
 * Decodes UTF-8 and parses JSON. Bare `NaN`, `Infinity` and `-Infinity` tokens (what Python's `json`
 * and some firmware emit) are read as the quoted tokens the wire schema accepts, so only those values
 * are refused (`non_finite_value`) rather than the whole message. Numbers that overflow a double
 * (`1e999`) become the `Infinity`/`-Infinity` tokens for the same reason.
 */
function parseJson(payload: Buffer): Outcome<unknown> {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return reject('malformed_json', `payload of ${payload.length} bytes is not valid UTF-8`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const lenient = quoteBareNonFinite(text);
    try {
      if (lenient === undefined) throw err;
      value = JSON.parse(lenient);
    } catch {
      return reject('malformed_json', `payload is not valid JSON: ${(err as Error).message}`);
    }
  }
  return { ok: true, value: tokenizeNonFinite(value) };
}

const BARE_TOKENS = ['-Infinity', 'Infinity', 'NaN'] as const;

/** Quotes bare NaN/±Infinity tokens outside JSON strings; undefined when there were none. */
function quoteBareNonFinite(text: string): string | undefined {
  let out = '';
  let last = 0;
  let inString = false;
  let found = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      continue;
    }
    if (c !== 'N' && c !== 'I' && c !== '-') continue;
    const token = BARE_TOKENS.find((t) => text.startsWith(t, i));
    if (!token) continue;
    out += `${text.slice(last, i)}"${token}"`;
    i += token.length - 1;
    last = i + 1;
    found = true;
  }
  return found ? out + text.slice(last) : undefined;
}

/**
 * Replaces non-finite numbers in `value` fields (only `1e999`-style overflow can produce them) by their
 * string tokens. Walks only where values live (`values[]`, `readings[].values[]`), never the whole
 * tree, so a deeply nested payload cannot exhaust the stack.
 */
function tokenizeNonFinite(json: unknown): unknown {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const fixValues = (reading: unknown) => {
    if (!isObj(reading) || !Array.isArray(reading.values)) return;
    for (const v of reading.values as unknown[]) {
      if (isObj(v) && typeof v.value === 'number' && !Number.isFinite(v.value))
        v.value = v.value > 0 ? 'Infinity' : v.value < 0 ? '-Infinity' : 'NaN';
    }
  };
  fixValues(json);
  if (isObj(json) && Array.isArray(json.readings)) for (const r of json.readings as unknown[]) fixValues(r);
  return json;
}

/** Renders a zod issue path as `readings[3].values[1].unit`. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${String(seg)}` : String(seg);
  return out || '(root)';
}

/**
 * Validates against `wirePayloadSchema`. The branch is chosen by the presence of `readings`, so the
 * detail lists the issues of the shape the device meant instead of a bare "invalid union".
 */
function validatePayload(json: unknown): Outcome<WirePayload> {
  const [single, batch] = wirePayloadSchema.options;
  const isBatch = json !== null && typeof json === 'object' && !Array.isArray(json) && 'readings' in json;
  const r = isBatch ? batch.safeParse(json) : single.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  return reject(
    'schema_violation',
    `payload does not match the ${isBatch ? 'batch' : 'single-reading'} schema: ${formatIssues(r.error.issues)}`,
  );
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, MAX_ISSUES).map((i) => `${formatPath(i.path)}: ${i.message}`);
  const more = issues.length > MAX_ISSUES ? `; and ${issues.length - MAX_ISSUES} more` : '';
  return shown.join('; ') + more;
}

/** Human duration: `412.0 s`, `2.5 h`, `8.2 days`. */
export function formatDuration(ms: number): string {
  const s = Math.abs(ms) / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} days`;
}

/** Device time against receive time: clock skew ahead, allowed lateness behind. */
function checkTime(ts: string | number, receivedAt: Date, s: IngestSettings, path: string): Outcome<Date> {
  const shown = typeof ts === 'string' ? `"${ts}"` : `${ts} (epoch ms)`;
  const t = typeof ts === 'string' ? Date.parse(ts) : ts;
  const when = new Date(t);
  if (Number.isNaN(when.getTime())) {
    return reject(
      'timestamp_in_future',
      `${path} ${shown} is beyond the last representable date; the allowed clock skew is ${formatDuration(s.maxClockSkewMs)}`,
    );
  }
  const ahead = t - receivedAt.getTime();
  if (ahead > s.maxClockSkewMs) {
    return reject(
      'timestamp_in_future',
      `${path} ${shown} is ${formatDuration(ahead)} after the receive time ${receivedAt.toISOString()}; the allowed clock skew (VOC_MAX_CLOCK_SKEW_MS) is ${formatDuration(s.maxClockSkewMs)}`,
    );
  }
  if (-ahead > s.allowedLatenessMs) {
    return reject(
      'timestamp_too_old',
      `${path} ${shown} is ${formatDuration(-ahead)} before the receive time ${receivedAt.toISOString()}; the allowed lateness (VOC_ALLOWED_LATENESS_MS) is ${formatDuration(s.allowedLatenessMs)}`,
    );
  }
  return { ok: true, value: when };
}

interface Position {
  lat: number | null;
  lon: number | null;
  gps?: ReadingMessage['gps'];
}

/** Registry position for fixed and fume devices; the reading's GPS for vans. */
function positionOf(device: Device, reading: WireReading, path: string): Outcome<Position> {
  if (device.kind !== 'van') return { ok: true, value: { lat: device.lat, lon: device.lon } };
  const g = reading.gps;
  if (!g) return reject('missing_position', `${path} is missing: a survey van has no registry position, each reading needs its GPS fix`);
  const gps: NonNullable<ReadingMessage['gps']> = { fix: g.fix };
  if (g.speedKmh !== undefined) gps.speedKmh = g.speedKmh;
  if (g.headingDeg !== undefined) gps.headingDeg = g.headingDeg;
  if (g.hdop !== undefined) gps.hdop = g.hdop;
  return { ok: true, value: { lat: g.lat, lon: g.lon, gps } };
}

type WireValue = WireReading['values'][number];

/** Validates one value and converts it to its metric's canonical unit, keeping it as received. */
function normalizeValue(v: WireValue, device: Device, path: string): Outcome<NormalizedValue> {
  if (!isMetricId(v.metric)) return reject('unknown_metric', `${path}.metric "${quote(v.metric)}" is not in the metric catalogue`);
  const metric = METRICS[v.metric];
  if (!metricAllowedForKind(v.metric, device.kind)) {
    return reject(
      'unknown_metric',
      `${path}.metric "${v.metric}" is reported by fume monitors only; device "${device.id}" is a ${device.kind} device`,
    );
  }
  if (typeof v.value !== 'number') {
    return reject(
      'non_finite_value',
      `${path}.value of ${v.metric} is ${v.value}, not a finite number (NaN and ±Infinity, including numbers too large for a double such as 1e999, are refused)`,
    );
  }
  const unit = parseUnit(v.unit);
  if (unit === undefined) {
    return reject(
      'unit_not_convertible',
      `${path}.unit "${quote(v.unit)}" of ${v.metric} is not a known unit spelling (${v.metric} is stored in ${metric.unit})`,
    );
  }
  const ref = v.ref ?? metric.refState;
  const conv = toCanonical(v.value, unit, ref, metric);
  if (!conv.ok) return reject(conv.rejection.reason, `${path}: ${v.value} ${v.unit} (${ref} state): ${conv.rejection.detail}`);
  const [lo, hi] = metric.range;
  if (!(conv.value >= lo && conv.value <= hi)) {
    const received = conv.unit === unit && conv.value === v.value ? '' : ` (received ${v.value} ${v.unit})`;
    return reject(
      'value_out_of_range',
      `${path}: ${v.metric} = ${conv.value} ${conv.unit}${received} is outside the physical range [${lo}, ${hi}] ${conv.unit}`,
    );
  }
  let qa: QaFlag = v.qa ?? 'valid';
  // Only a concentration below zero is noise; a temperature or dew point below 0 °C is a real value.
  const concentration = metric.family === 'gas' || metric.family === 'particulate';
  if (concentration && conv.value < 0 && qa === 'valid') qa = 'suspect';
  return {
    ok: true,
    value: { metric: v.metric, value: conv.value, unit: conv.unit, rawValue: v.value, rawUnit: v.unit, refState: ref, qa },
  };
}
