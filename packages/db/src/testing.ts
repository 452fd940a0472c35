import type { Pool } from './pool.js';

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
