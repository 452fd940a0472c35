import type { SeriesKey } from '@voc/domain';
import type { EvidenceInput, HotspotPort, HotspotRow } from '@voc/core';
import { cellInt, ms, SERIES, seriesParams, ts, type Queryable } from './sql.js';

/** Hotspots and their per-window evidence (tables `hotspots`, `hotspot_evidence`), on the evaluation transaction. */
export class HotspotWrites implements HotspotPort {
  constructor(private readonly db: Queryable) {}

  async getHotspot(s: SeriesKey, cell: string, openedWindow: number): Promise<HotspotRow | undefined> {
    const { rows } = await this.db.query<{
      id: number;
      opened_window: Date;
      cleared_window: Date | null;
      state: HotspotRow['state'];
      task_id: number | null;
    }>(`select id, opened_window, cleared_window, state, task_id from hotspots where ${SERIES} and cell = $4 and opened_window = $5`, [
      ...seriesParams(s),
      cellInt(cell),
      ts(openedWindow),
    ]);
    const r = rows[0];
    return r
      ? { id: r.id, cell, openedWindow: r.opened_window.getTime(), clearedWindow: ms(r.cleared_window), state: r.state, taskId: r.task_id }
      : undefined;
  }

  async insertHotspot(s: SeriesKey, cell: string, openedWindow: number): Promise<number> {
    const { rows } = await this.db.query<{ id: number }>(
      `insert into hotspots (metric, resolution, window_minutes, cell, opened_window, last_window) values ($1, $2, $3, $4, $5, $5) returning id`,
      [...seriesParams(s), cellInt(cell), ts(openedWindow)],
    );
    return rows[0]!.id;
  }

  async updateHotspot(
    id: number,
    patch: { state?: HotspotRow['state']; clearedWindow?: number | null; lastWindow?: number; taskId?: number },
  ): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const add = (col: string, v: unknown, expr = (p: string) => p) => {
      params.push(v);
      sets.push(`${col} = ${expr(`$${params.length}`)}`);
    };
    if (patch.state !== undefined) add('state', patch.state);
    if (patch.clearedWindow !== undefined)
      add('cleared_window', patch.clearedWindow === null ? null : ts(patch.clearedWindow), (p) => `${p}::timestamptz`);
    if (patch.lastWindow !== undefined) add('last_window', ts(patch.lastWindow), (p) => `greatest(last_window, ${p}::timestamptz)`);
    if (patch.taskId !== undefined) add('task_id', patch.taskId);
    if (sets.length === 0) return;
    await this.db.query(`update hotspots set ${sets.join(', ')}, updated_at = now() where id = $1`, params);
  }

  async upsertEvidence(e: EvidenceInput): Promise<void> {
    const c = e.cell;
    await this.db.query(
      `insert into hotspot_evidence (hotspot_id, window_start, role, high, n, devices, van_passes, mean, median, p90, max, baseline, ratio, robust_z, gi_star, reasons, details)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
       on conflict (hotspot_id, window_start) do update set role = excluded.role, high = excluded.high, n = excluded.n, devices = excluded.devices,
         van_passes = excluded.van_passes, mean = excluded.mean, median = excluded.median, p90 = excluded.p90, max = excluded.max,
         baseline = excluded.baseline, ratio = excluded.ratio, robust_z = excluded.robust_z, gi_star = excluded.gi_star, reasons = excluded.reasons,
         details = case when excluded.details = '{}'::jsonb then hotspot_evidence.details else excluded.details end`,
      [
        e.hotspotId,
        ts(e.window),
        e.role,
        c?.high ?? false,
        c?.n ?? null,
        c?.devices ?? null,
        c?.vanPasses ?? null,
        c?.mean ?? null,
        c?.median ?? null,
        c?.p90 ?? null,
        c?.max ?? null,
        e.baseline,
        c?.ratio ?? null,
        c?.robustZ ?? null,
        c?.giStar ?? null,
        c ? [...c.reasons] : [],
        JSON.stringify(e.details),
      ],
    );
  }

  async deleteEvidence(hotspotId: number, window: number): Promise<void> {
    await this.db.query(`delete from hotspot_evidence where hotspot_id = $1 and window_start = $2`, [hotspotId, ts(window)]);
  }
}
