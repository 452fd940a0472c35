import type { BackfillSource, ScheduleStore } from '@voc/core';
import type { SeriesKey } from '@voc/domain';
import { windowMs } from '@voc/hotspot';
import type { Pool } from './pool.js';

const SERIES = `metric = $1 and resolution = $2 and window_minutes = $3`;
const ts = (ms: number): string => new Date(ms).toISOString();

/** {@link ScheduleStore} on PostgreSQL (tables `hotspot_evaluations`, `hotspot_schedule`, `readings`). */
export class ScheduleRepository implements ScheduleStore {
  constructor(private readonly pool: Pool) {}

  async now(): Promise<number> {
    const { rows } = await this.pool.query<{ ms: number }>(`select extract(epoch from clock_timestamp())::float8 * 1000 as ms`);
    return Math.round(rows[0]!.ms);
  }

  async ensureScheduled(s: SeriesKey, from: number, to: number): Promise<number[]> {
    if (from >= to) return [];
    await this.pool.query(
      `insert into hotspot_evaluations (metric, resolution, window_minutes, window_start, window_end)
       select $1, $2, $3, w, w + make_interval(mins => $3) from generate_series($4::timestamptz, $5::timestamptz - make_interval(mins => $3), make_interval(mins => $3)) as w
       on conflict do nothing`,
      [s.metric, s.resolution, s.windowMinutes, ts(from), ts(to)],
    );
    const { rows } = await this.pool.query<{ w: Date }>(
      `select window_start as w from hotspot_evaluations where ${SERIES} and status = 'scheduled' and window_start >= $4 and window_start < $5 order by 1`,
      [s.metric, s.resolution, s.windowMinutes, ts(from), ts(to)],
    );
    return rows.map((r) => r.w.getTime());
  }

  async lateWindows(s: SeriesKey, from: number, to: number, storedAfter: number): Promise<{ window: number; version: number }[]> {
    const lenS = windowMs(s.windowMinutes) / 1000;
    const { rows } = await this.pool.query<{ w: Date; version: number }>(
      `with touched as (
         select to_timestamp(floor(extract(epoch from time) / $6) * $6) as w, max(stored_at) as last_stored
         from readings where metric = $1 and stored_at > $7 and time >= $4 and time < $5
         group by 1)
       select e.window_start as w, e.version
       from touched t join hotspot_evaluations e on e.metric = $1 and e.resolution = $2 and e.window_minutes = $3 and e.window_start = t.w
       where e.status = 'done' and t.last_stored > e.watermark
       order by 1`,
      [s.metric, s.resolution, s.windowMinutes, ts(from), ts(to), lenS, ts(storedAfter)],
    );
    return rows.map((r) => ({ window: r.w.getTime(), version: r.version }));
  }

  async cursor(s: SeriesKey): Promise<number | null> {
    const { rows } = await this.pool.query<{ c: Date }>(`select late_cursor as c from hotspot_schedule where ${SERIES}`, [
      s.metric,
      s.resolution,
      s.windowMinutes,
    ]);
    return rows[0] ? rows[0].c.getTime() : null;
  }

  async setCursor(s: SeriesKey, t: number): Promise<void> {
    await this.pool.query(
      `insert into hotspot_schedule (metric, resolution, window_minutes, late_cursor) values ($1, $2, $3, $4)
       on conflict (metric, resolution, window_minutes) do update set late_cursor = greatest(hotspot_schedule.late_cursor, excluded.late_cursor)`,
      [s.metric, s.resolution, s.windowMinutes, ts(t)],
    );
  }

  async isPending(s: SeriesKey, window: number): Promise<boolean> {
    const { rows } = await this.pool.query(
      `select 1 from hotspot_evaluations where ${SERIES} and window_start = $4 and status = 'scheduled'`,
      [s.metric, s.resolution, s.windowMinutes, ts(window)],
    );
    return rows.length > 0;
  }
}

/** {@link BackfillSource} on the `readings` table. */
export class BackfillSourceRepository implements BackfillSource {
  constructor(private readonly pool: Pool) {}

  async windowsWithData(metric: string, from: number, to: number, windowMinutes: number): Promise<number[]> {
    const lenS = windowMs(windowMinutes) / 1000;
    const { rows } = await this.pool.query<{ w: number }>(
      `select distinct floor(extract(epoch from time) / $4) * $4 * 1000 as w from readings where metric = $1 and time >= $2 and time < $3 order by 1`,
      [metric, ts(from), ts(to), lenS],
    );
    return rows.map((r) => Number(r.w));
  }
}
