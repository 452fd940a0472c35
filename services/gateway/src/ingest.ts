import { parseDeviceTopic, wirePayloadSchema, formatIssues, type Rejection, type WirePayload, type WireReading } from '@voc/domain';
import {
  createReadingNormalizer,
  quote,
  reject,
  type DeviceDirectory,
  type IngestResult,
  type Outcome,
  type TimeLimits,
} from '@voc/ingest';
import { decodeHj212Payload, isHj212Payload } from '@voc/hj212';

/** Ingest limits of the MQTT gateway, from `config.ingest` (DOMAIN.md and issue 2 defaults in `packages/config`). */
export interface IngestSettings extends TimeLimits {
  /** Largest accepted MQTT payload in bytes (default 256 KiB). */
  readonly maxPayloadBytes: number;
}

/** The MQTT ingest service: parses one MQTT message's envelope, then normalises it with `@voc/ingest`. */
export interface IngestService {
  /**
   * @param mqttTopic topic the message arrived on (`voc/v1/{kind}/{deviceId}/up`)
   * @param payload raw MQTT payload
   * @param receivedAt gateway receive time
   * @throws only when the device directory fails (transient; retry the same message later)
   */
  ingest(mqttTopic: string, payload: Buffer, receivedAt: Date): Promise<IngestResult>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** At most this many zod issues are listed in a `schema_violation` detail. */
const MAX_ISSUES = 20;

/**
 * Builds the MQTT ingest service (thin edges: the MQTT adapter calls {@link IngestService.ingest} per message).
 *
 * Envelope rejections (here), in this order: `payload_too_large`, `bad_topic`, `malformed_json` (not
 * UTF-8 or not JSON), `schema_violation` (`wirePayloadSchema`; the detail lists the zod issues with
 * their paths), `device_id_mismatch`. Then `@voc/ingest`'s `createReadingNormalizer` checks the device
 * (`unknown_device`, `device_disabled`, `kind_mismatch` against the topic's kind), each reading's time
 * and position and each value (units, reference states, ranges, duplicates).
 */
export function createIngestService(deps: { devices: DeviceDirectory; settings: IngestSettings }): IngestService {
  const { settings } = deps;
  const normalizer = createReadingNormalizer(deps);
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

      // HJ 212 frames carried as MQTT payloads on the fume (and dust) monitor topics: same codec as the TCP gateway.
      if ((topic.kind === 'fume' || topic.kind === 'dust') && isHj212Payload(payload)) {
        const d = decodeHj212Payload(deviceId, payload);
        if (!d.ok) return whole(d.rejection.reason, d.rejection.detail, deviceId);
        const r = await normalizer.normalize({ ...d.decoded.message, claim: { kind: topic.kind, by: `topic ${mqttTopic}` } }, receivedAt);
        return { accepted: r.accepted, rejected: [...d.decoded.rejections.map((rejection) => ({ rejection, deviceId })), ...r.rejected] };
      }

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
      const batch = 'readings' in body;
      const readings: WireReading[] = batch ? body.readings : [body];
      return normalizer.normalize({ deviceId, claim: { kind: topic.kind, by: `topic ${mqttTopic}` }, batch, readings }, receivedAt);
    },
  };
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
    `payload does not match the ${isBatch ? 'batch' : 'single-reading'} schema: ${formatIssues(r.error.issues, { max: MAX_ISSUES })}`,
  );
}
