import { latLngToCell } from 'h3-js';
import {
  deviceUpTopic,
  METRICS,
  STORED_H3_RESOLUTION,
  isMetricId,
  type DeviceInput,
  type ReadingMessage,
  type WireReading,
} from '@voc/domain';
import type { SimDevice, SimFacility } from './network.js';
import type { SimReading } from './simulate.js';

/**
 * Registry rows of the simulated devices (`voc devices register` JSON: `@voc/domain` DeviceInput).
 * Names carry "(simulated)"; `metadata` holds `simulated: true`, the class, the per-metric uncertainty
 * (noise σ, canonical unit) and the street-office area. Vans have no registry position.
 */
export function registrationDevices(devices: readonly SimDevice[]): DeviceInput[] {
  return devices.map((d) => ({
    id: d.id,
    kind: d.kind,
    name: d.name,
    sensor: d.sensor as DeviceInput['sensor'],
    ...(d.kind === 'van' ? {} : { lat: d.lat, lon: d.lon }),
    metadata: {
      simulated: true,
      class: d.class,
      uncertainty: Object.fromEntries(d.channels.map((c) => [c.metric, { noise: c.noise, unit: c.unit, resolution: c.resolution }])),
      ...(d.area === null ? {} : { streetOffice: d.area }),
    },
  }));
}

/** A facility row for `voc facilities import` (JSON of `@voc/hotspot` FacilityInput), name marked simulated. */
export interface SimFacilityRow {
  readonly id: string;
  readonly category: string;
  readonly name: string;
  readonly lat: number;
  readonly lon: number;
  readonly fumeDeviceIds: readonly string[];
}

/** Registry rows of the simulated facilities (planted sources among them, not marked as such). */
export function registrationFacilities(facilities: readonly SimFacility[]): SimFacilityRow[] {
  return facilities.map((f) => ({ id: f.id, category: f.category, name: f.name, lat: f.lat, lon: f.lon, fumeDeviceIds: [] }));
}

/** The facilities as CSV text for `voc facilities import` (header `id,category,name,lat,lon`), with a `#` header saying they are simulated. */
export function facilitiesCsv(facilities: readonly SimFacility[]): string {
  const head = '# SIMULATED facilities of a simulated scenario: no real business, site or permit.\nid,category,name,lat,lon\n';
  return head + facilities.map((f) => `${f.id},${f.category},${f.name},${f.lat},${f.lon}`).join('\n') + '\n';
}

/**
 * One reading as the device would publish it: the MQTT topic and the JSON payload of the wire
 * contract (`ts` epoch ms, values in their canonical units, `gps` for vans).
 */
export function toWirePayload(r: SimReading): { topic: string; payload: WireReading } {
  return {
    topic: deviceUpTopic(r.kind, r.deviceId),
    payload: {
      ts: r.time,
      values: r.values.map((v) => ({ metric: v.metric, value: v.value, unit: v.unit })),
      ...(r.gps ? { gps: { ...r.gps } } : {}),
    },
  };
}

/**
 * A device's readings as batched payloads (`{"readings": [...]}`, ≤ `max` each, the wire limit being
 * 1,000), for publishing many readings with few messages. Readings keep their order.
 */
export function toBatchedPayloads(readings: readonly SimReading[], max = 500): { topic: string; payload: { readings: WireReading[] } }[] {
  const byDevice = new Map<string, { topic: string; list: WireReading[] }>();
  for (const r of readings) {
    const w = toWirePayload(r);
    const e = byDevice.get(r.deviceId) ?? byDevice.set(r.deviceId, { topic: w.topic, list: [] }).get(r.deviceId)!;
    e.list.push(w.payload);
  }
  const out: { topic: string; payload: { readings: WireReading[] } }[] = [];
  for (const { topic, list } of byDevice.values())
    for (let i = 0; i < list.length; i += max) out.push({ topic, payload: { readings: list.slice(i, i + max) } });
  return out;
}

/**
 * One reading as the gateway would put it on `voc.readings.v1` (`@voc/domain` ReadingMessage), for
 * writing straight into the readings table: values already canonical (raw = normalised), QA `valid`
 * except negative concentrations (`suspect`, as the gateway flags them), position and res-12 cell from
 * the registry (fixed) or the GPS (vans), `receivedAt` = the reading time.
 * @throws Error when a fixed reading's device is not in `devices`, or a metric is not in the catalogue
 */
export function toReadingMessage(r: SimReading, devices: ReadonlyMap<string, SimDevice>): ReadingMessage {
  let lat: number;
  let lon: number;
  if (r.gps) ({ lat, lon } = r.gps);
  else {
    const d = devices.get(r.deviceId);
    if (!d) throw new Error(`reading of unknown simulated device ${r.deviceId}`);
    ({ lat, lon } = d);
  }
  const time = new Date(r.time).toISOString();
  return {
    deviceId: r.deviceId,
    kind: r.kind,
    time,
    receivedAt: time,
    lat,
    lon,
    h3: latLngToCell(lat, lon, STORED_H3_RESOLUTION),
    ...(r.gps
      ? {
          gps: {
            speedKmh: r.gps.speedKmh,
            ...(r.gps.headingDeg === undefined ? {} : { headingDeg: r.gps.headingDeg }),
            fix: r.gps.fix,
            hdop: r.gps.hdop,
          },
        }
      : {}),
    values: r.values.map((v) => {
      if (!isMetricId(v.metric)) throw new Error(`metric ${v.metric} is not in the catalogue`);
      const def = METRICS[v.metric];
      const concentration = def.family === 'gas' || def.family === 'particulate';
      return {
        metric: v.metric,
        value: v.value,
        unit: def.unit,
        rawValue: v.value,
        rawUnit: v.unit,
        refState: def.refState,
        qa: concentration && v.value < 0 ? 'suspect' : 'valid',
      };
    }),
  };
}

/**
 * File names for a scenario's outputs, each carrying the word "simulated" so that a file separated from
 * its folder still says what it is: truth JSON, device registry JSON, facilities CSV, readings JSON lines.
 */
export function simulatedFileNames(
  scenario: string,
  seed: number,
): { truth: string; devices: string; facilities: string; readings: string } {
  const base = `${scenario}.seed-${seed}.simulated`;
  return {
    truth: `${base}-truth.json`,
    devices: `${base}-devices.json`,
    facilities: `${base}-facilities.csv`,
    readings: `${base}-readings.jsonl`,
  };
}
