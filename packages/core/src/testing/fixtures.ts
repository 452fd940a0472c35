import { cellToLatLng, gridDisk, latLngToCell } from 'h3-js';
import { STORED_H3_RESOLUTION, type MetricId, type ReadingMessage } from '@voc/domain';
import { buildReading } from '@voc/domain/testing';

/**
 * Builders for tests and benchmarks that write readings straight into the database.
 */

/** A fixed-device reading message of one metric (canonical unit, QA valid unless given). */
export function fixedReading(
  deviceId: string,
  cell12: string,
  t: number,
  metric: MetricId,
  value: number,
  qa: ReadingMessage['values'][number]['qa'] = 'valid',
): ReadingMessage {
  return buildReading(deviceId, t, [{ metric, value, qa }], { h3: cell12 });
}

/** A survey-van reading message of one metric at a position with speed and GPS fix. */
export function vanReading(
  deviceId: string,
  lat: number,
  lon: number,
  t: number,
  metric: MetricId,
  value: number,
  speedKmh: number,
  fix: 'none' | '2d' | '3d' | 'dgps' = '3d',
): ReadingMessage {
  return buildReading(deviceId, t, [{ metric, value }], {
    kind: 'van',
    position: { lat, lon },
    h3: latLngToCell(lat, lon, STORED_H3_RESOLUTION),
    gps: { speedKmh, fix },
  });
}

/** The resolution-12 cell at the centre of a grid cell (where a test places the grid cell's device). */
export function centreCell12(cell: string): string {
  const [lat, lon] = cellToLatLng(cell);
  return latLngToCell(lat, lon, STORED_H3_RESOLUTION);
}

/** The grid cells of a disk of radius `k` around `centre`, centre first, then in h3-js order. */
export function diskCells(centre: string, k: number): string[] {
  return [centre, ...gridDisk(centre, k).filter((c) => c !== centre)];
}
