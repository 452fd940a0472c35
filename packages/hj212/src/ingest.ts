import type { QaFlag, Rejection } from '@voc/domain';
import type { DecodedMessage, DecodedReading, DecodedValue } from '@voc/ingest';
import { decodeObservations, type DecodeResult, type Hj212Observation } from './observations.js';
import { parseFrame } from './parse.js';
import { profileForSystem, type FactorProfile } from './profiles.js';
import type { ParseOptions, Hj212Frame } from './frame.js';
import type { AssembledMessage } from './split.js';
import { SplitAssembler } from './split.js';
import type { Tolerance } from './reasons.js';

/**
 * The bridge from the codec to the transport-agnostic ingest (`@voc/ingest`): an assembled HJ 212
 * message becomes a `DecodedMessage` for `createReadingNormalizer().normalize()`, unchanged from what
 * the MQTT JSON path produces. Used by the HJ 212 TCP gateway and by the MQTT gateway for HJ 212
 * frames carried as MQTT payloads on the fume-monitor topic.
 */

/**
 * Tolerances that question a value's integrity (the CRC was not the standard's, the length did not
 * match, the command or size is outside the standard): readings of a frame accepted through one are
 * stored with QA `suspect`. The formatting tolerances (`lowercase_crc`, `missing_crlf`,
 * `datatime_ms`) leave the values as trustworthy as a strict frame's; they are counted by the gateway.
 */
export const INTEGRITY_TOLERANCES: readonly Tolerance[] = [
  'crc_modbus',
  'crc_modbus_swapped',
  'length_mismatch',
  'unknown_command',
  'oversize',
];

/**
 * QA of a reading from its HJ 212 data flag (SPEC-NOTES §2): `N` (or none) valid; `M` maintenance;
 * `C` calibration; `T` (above the measuring range, a censored value) suspect; `F` stopped, `D` fault,
 * `S` set manually, `B` communication fault and unknown letters invalid (not measurements).
 */
export function qaOfFlag(flag: string | undefined): QaFlag {
  switch (flag) {
    case undefined:
    case 'N':
      return 'valid';
    case 'M':
      return 'maintenance';
    case 'C':
      return 'calibration';
    case 'T':
      return 'suspect';
    default:
      return 'invalid';
  }
}

/** What a decoded HJ 212 message became for ingest, with what the codec noticed. */
export interface Hj212Decoded {
  readonly message: DecodedMessage;
  readonly decode: DecodeResult;
  /** Rejections of parts of the message the codec could not turn into values (decode issues, unmapped codes). */
  readonly rejections: Rejection[];
}

function qaOf(o: Hj212Observation): QaFlag {
  const qa = qaOfFlag(o.flag);
  if (qa !== 'valid') return qa;
  if (o.partial || o.tolerances.some((t) => INTEGRITY_TOLERANCES.includes(t))) return 'suspect';
  return qa;
}

/**
 * Turns an assembled message into a `DecodedMessage` for `deviceId` through `profile`: observations
 * of one `DataTime` form one reading (units as the profile declares them, QA from the data flag, a
 * partial or integrity-tolerance message `suspect`). Unmapped factor codes become one `unknown_metric`
 * rejection and decode issues one `hj212_rejected` rejection each, so nothing is dropped silently.
 */
export function toDecodedMessage(deviceId: string, msg: AssembledMessage | Hj212Frame, profile: FactorProfile): Hj212Decoded {
  const decode = decodeObservations(msg, profile);
  const byTime = new Map<string, DecodedValue[]>();
  for (const o of decode.observations) {
    let list = byTime.get(o.observedAt);
    if (!list) byTime.set(o.observedAt, (list = []));
    list.push({ metric: o.metric, value: o.value, unit: o.unit, qa: qaOf(o) });
  }
  const readings: DecodedReading[] = [...byTime].map(([ts, values]) => ({ ts, values }));
  const rejections: Rejection[] = [];
  if (decode.unmapped.length > 0)
    rejections.push({
      reason: 'unknown_metric',
      detail: `factor codes not in profile ${profile.id}: ${decode.unmapped.slice(0, 20).join(', ')}${decode.unmapped.length > 20 ? ', …' : ''}`,
    });
  for (const i of decode.issues)
    rejections.push({ reason: 'hj212_rejected', detail: `${i.code}: ${i.factor ? i.factor + ': ' : ''}${i.detail}` });
  return { message: { deviceId, batch: readings.length > 1, readings }, decode, rejections };
}

/** True when an MQTT payload is an HJ 212 frame (starts with `##` + a digit) rather than JSON. */
export function isHj212Payload(payload: Buffer): boolean {
  return payload.length >= 3 && payload[0] === 35 && payload[1] === 35 && payload[2]! >= 48 && payload[2]! <= 57;
}

/** How {@link decodeHj212Payload} reads one device's frames. */
export interface PayloadDecodeOptions {
  /** Factor profile; default by the frame's `ST` (`profileForSystem`). */
  readonly profile?: FactorProfile;
  /** Codec settings of the device (tolerances, `maxDataLength`); default strict. */
  readonly parse?: ParseOptions;
}

/** Result of {@link decodeHj212Payload}: the decoded message, or the frame's rejection. */
export type PayloadDecodeResult = { ok: true; decoded: Hj212Decoded; frame: Hj212Frame } | { ok: false; rejection: Rejection };

/**
 * Decodes an MQTT payload that carries one HJ 212 frame (CR LF optional only under `missing_crlf`).
 * The MQTT broker has authenticated the device and the topic names it, so the frame's `MN`/`PW` are
 * not checked here. A split part (PNUM/PNO) is decoded on its own, flagged partial: MQTT messages are
 * not reassembled. Replies and requests carry no readings (an empty message).
 */
export function decodeHj212Payload(deviceId: string, payload: Buffer, opts: PayloadDecodeOptions = {}): PayloadDecodeResult {
  const r = parseFrame(payload, opts.parse ?? {});
  if (!r.ok) return { ok: false, rejection: { reason: 'hj212_rejected', detail: `${r.reason}: ${r.detail}` } };
  const assembler = new SplitAssembler({ maxParts: 0 });
  const msg = assembler.offer(r.frame)[0]!;
  return { ok: true, frame: r.frame, decoded: toDecodedMessage(deviceId, msg, opts.profile ?? profileForSystem(r.frame.st)) };
}
