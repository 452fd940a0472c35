import type { Device, ReadingMessage } from '@voc/domain';
import { reject, type DecodedReading, type Outcome } from './types.js';

/** Where a reading was taken: WGS-84 degrees (null for a registry entry without a position) and the van's GPS details. */
export interface Position {
  lat: number | null;
  lon: number | null;
  gps?: ReadingMessage['gps'];
}

/**
 * Registry position for fixed and fume devices; the reading's GPS for vans (speed, heading, fix and
 * HDOP copied). A van reading without GPS is refused as `missing_position`.
 */
export function positionOf(device: Device, reading: DecodedReading, path: string): Outcome<Position> {
  if (device.kind !== 'van') return { ok: true, value: { lat: device.lat, lon: device.lon } };
  const g = reading.gps;
  if (!g) return reject('missing_position', `${path} is missing: a survey van has no registry position, each reading needs its GPS fix`);
  const gps: NonNullable<ReadingMessage['gps']> = { fix: g.fix };
  if (g.speedKmh !== undefined) gps.speedKmh = g.speedKmh;
  if (g.headingDeg !== undefined) gps.headingDeg = g.headingDeg;
  if (g.hdop !== undefined) gps.hdop = g.hdop;
  return { ok: true, value: { lat: g.lat, lon: g.lon, gps } };
}
