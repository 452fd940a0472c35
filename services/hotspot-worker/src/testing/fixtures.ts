import { cellToLatLng, gridDisk, latLngToCell } from 'h3-js';
import type { Pool } from '@voc/db';
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

/**
 * Deletes every hotspot-grid row (evaluations, runs, rollup, states, hotspots, evidence, tasks and
 * their events, outbox) whose window starts in [from, to), for tests that own that time range.
 */
export async function deleteHotspotRows(pool: Pool, from: number, to: number): Promise<void> {
  const a = new Date(from).toISOString();
  const b = new Date(to).toISOString();
  await pool.query(`update hotspots set task_id = null where opened_window >= $1 and opened_window < $2`, [a, b]);
  await pool.query(`delete from task_events where task_id in (select id from tasks where opened_window >= $1 and opened_window < $2)`, [
    a,
    b,
  ]);
  await pool.query(`delete from tasks where opened_window >= $1 and opened_window < $2`, [a, b]);
  await pool.query(`delete from hotspots where opened_window >= $1 and opened_window < $2`, [a, b]);
  await pool.query(
    `delete from alert_outbox where (payload->>'windowStart')::timestamptz >= $1 and (payload->>'windowStart')::timestamptz < $2`,
    [a, b],
  );
  for (const t of ['hotspot_evaluations', 'hotspot_evaluation_runs', 'hotspot_cell_stats', 'hotspot_cell_states']) {
    await pool.query(`delete from ${t} where window_start >= $1 and window_start < $2`, [a, b]);
  }
}
