import { latLngToCell } from 'h3-js';
import { STORED_H3_RESOLUTION, type NormalizedValue, type ReadingMessage, type Rejection } from '@voc/domain';
import { positionOf } from './position.js';
import { checkTime } from './time.js';
import type { DecodedMessage, DeviceDirectory, IngestResult, RejectedItem, TimeLimits } from './types.js';
import { normalizeValue } from './values.js';

/** Turns decoded messages of any transport into normalised readings and rejections. */
export interface ReadingNormalizer {
  /**
   * @param message what the transport decoded (device id, readings with their values)
   * @param receivedAt when the transport received it (the reference of the time checks)
   * @throws only when the device directory fails (transient; retry the same message later)
   */
  normalize(message: DecodedMessage, receivedAt: Date): Promise<IngestResult>;
}

/**
 * Builds the transport-agnostic half of ingest: the MQTT gateway calls it after parsing its JSON
 * envelope, an HJ 212 gateway after decoding its frame.
 *
 * Whole-message rejections, in this order: `unknown_device`, `device_disabled`, `kind_mismatch` (only
 * when the message carries a `claim`).
 *
 * Per reading: `timestamp_in_future` (device time more than `maxClockSkewMs` after receive time),
 * `timestamp_too_old` (more than `allowedLatenessMs` before it), `missing_position` (van without `gps`).
 *
 * Per value: see {@link normalizeValue}; plus `duplicate_reading` for a second value of one metric at
 * the same millisecond in one message (storage keeps one value per device, metric and millisecond).
 * Other values of the same reading are unaffected by a rejected one.
 *
 * Position: fixed and fume devices take the registry lat/lon, vans the reading's GPS; `h3` is the
 * res-{@link STORED_H3_RESOLUTION} cell of that position.
 */
export function createReadingNormalizer(deps: { devices: DeviceDirectory; settings: TimeLimits }): ReadingNormalizer {
  const { devices, settings } = deps;
  return {
    async normalize(message, receivedAt) {
      const { deviceId, batch } = message;
      const whole = (reason: Rejection['reason'], detail: string): IngestResult => ({
        accepted: [],
        rejected: [{ rejection: { reason, detail }, deviceId }],
      });
      const device = await devices.get(deviceId);
      if (!device) return whole('unknown_device', `device "${deviceId}" is not registered`);
      if (device.status !== 'active')
        return whole('device_disabled', `device "${deviceId}" is ${device.status}; only active devices are accepted`);
      if (message.claim && device.kind !== message.claim.kind) {
        return whole(
          'kind_mismatch',
          `${message.claim.by} claims kind "${message.claim.kind}" but device "${deviceId}" is registered as "${device.kind}"`,
        );
      }

      const accepted: ReadingMessage[] = [];
      const rejected: RejectedItem[] = [];
      // (metric, time in ms) already accepted from this message, with the path that carried it.
      const seen = new Map<string, string>();
      message.readings.forEach((reading, i) => {
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
          // Storage keeps one value per (device, metric, millisecond): a second one in the same message
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
