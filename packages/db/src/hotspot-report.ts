import type { HotspotListing, HotspotReport, ReportFilter, SeriesSummary } from '@voc/core';
import { bigintToH3 } from './h3.js';
import type { Pool } from './pool.js';

/** {@link HotspotReport} on PostgreSQL (tables `hotspots`, `hotspot_evidence`, `hotspot_evaluations`). */
export class HotspotReportRepository implements HotspotReport {
  constructor(private readonly pool: Pool) {}

  /** Hotspots that opened in the range, in window, metric and cell order (deterministic). */
  async hotspots(f: ReportFilter): Promise<HotspotListing[]> {
    const { rows } = await this.pool.query<{
      id: number;
      metric: string;
      resolution: number;
      window_minutes: number;
      cell: string;
      opened_window: Date;
      cleared_window: Date | null;
      state: string;
      task_id: number | null;
      n: number | null;
      devices: number | null;
      van_passes: number | null;
      median: number | null;
      baseline: number | null;
      ratio: number | null;
      robust_z: number | null;
      gi_star: number | null;
      reasons: string[] | null;
    }>(
      `select h.id, h.metric, h.resolution, h.window_minutes, h.cell::text as cell, h.opened_window, h.cleared_window, h.state, h.task_id,
              e.n, e.devices, e.van_passes, e.median, e.baseline, e.ratio, e.robust_z, e.gi_star, e.reasons
       from hotspots h left join hotspot_evidence e on e.hotspot_id = h.id and e.window_start = h.opened_window
       where h.resolution = $1 and h.window_minutes = $2 and h.opened_window >= $3 and h.opened_window < $4
         and ($5::text[] is null or h.metric = any($5)) and ($6::text[] is null or h.state = any($6))
       order by h.opened_window, h.metric, h.cell`,
      [
        f.resolution,
        f.windowMinutes,
        new Date(f.from).toISOString(),
        new Date(f.to).toISOString(),
        f.metrics?.length ? f.metrics : null,
        f.states?.length ? f.states : null,
      ],
    );
    return rows.map((r) => ({
      id: r.id,
      metric: r.metric,
      resolution: r.resolution,
      windowMinutes: r.window_minutes,
      cell: bigintToH3(r.cell),
      openedWindow: r.opened_window.toISOString(),
      clearedWindow: r.cleared_window?.toISOString() ?? null,
      state: r.state,
      taskId: r.task_id,
      n: r.n,
      devices: r.devices,
      vanPasses: r.van_passes,
      median: r.median,
      baseline: r.baseline,
      ratio: r.ratio,
      robustZ: r.robust_z,
      giStar: r.gi_star,
      reasons: r.reasons ?? [],
    }));
  }

  /** Per metric of the range: evaluated windows and their cell counts. */
  async summary(f: ReportFilter): Promise<SeriesSummary[]> {
    const { rows } = await this.pool.query<SeriesSummary>(
      `select metric, count(*)::int as windows, coalesce(sum(cells), 0)::int as "cellWindows", coalesce(sum(eligible), 0)::int as eligible, coalesce(sum(high), 0)::int as high
       from hotspot_evaluations
       where resolution = $1 and window_minutes = $2 and window_start >= $3 and window_start < $4 and status = 'done' and ($5::text[] is null or metric = any($5))
       group by metric order by metric`,
      [f.resolution, f.windowMinutes, new Date(f.from).toISOString(), new Date(f.to).toISOString(), f.metrics?.length ? f.metrics : null],
    );
    return rows;
  }
}
