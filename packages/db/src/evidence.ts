import type { SeriesKey } from '@voc/domain';
import type { Window } from '@voc/hotspot';
import type { PeakReading, TopDevice, UsableFilter, WindObservation } from '@voc/core';
import { USABLE_SQL } from './rollup.js';
import { cellHex, cellInt, ts, type Queryable } from './sql.js';

/**
 * The evidence an evaluation attaches to a hotspot and its task: the cell's top contributing devices,
 * its highest readings with their positions, and the wind observations of the window. Runs on the
 * evaluation's transaction client.
 */
export class EvidenceQueries {
  constructor(private readonly db: Queryable) {}

  /** Per cell, the `limit` devices with most usable readings in the window (then highest max). */
  async topDevices(s: SeriesKey, w: Window, cells: readonly string[], f: UsableFilter, limit: number): Promise<Map<string, TopDevice[]>> {
    const { rows } = await this.db.query<{ cell: string; device_id: string; n: number; mean: number; max: number }>(
      `select cell, device_id, n, mean, max from (
         select cell::text as cell, device_id, count(*) as n, avg(value) as mean, max(value) as max,
                row_number() over (partition by cell order by count(*) desc, max(value) desc, device_id) as rn
         from (${USABLE_SQL}) src where cell = any($7::int8[]) group by cell, device_id) d
       where rn <= $8 order by cell, rn`,
      [s.metric, f.unit, s.resolution, ts(w.start), ts(w.end), f.vanMaxSpeedKmh, cells.map(cellInt), limit],
    );
    const out = new Map<string, TopDevice[]>();
    for (const r of rows) {
      const k = cellHex(r.cell);
      (out.get(k) ?? out.set(k, []).get(k)!).push({ deviceId: r.device_id, n: r.n, mean: r.mean, max: r.max });
    }
    return out;
  }

  /** Per cell, the `limit` highest usable readings of the window, with the van's or the registry's position. */
  async peakReadings(
    s: SeriesKey,
    w: Window,
    cells: readonly string[],
    f: UsableFilter,
    limit: number,
  ): Promise<Map<string, PeakReading[]>> {
    const { rows } = await this.db.query<{
      cell: string;
      device_id: string;
      time: Date;
      value: number;
      lat: number | null;
      lon: number | null;
    }>(
      `select p.cell, p.device_id, p.time, p.value, coalesce(p.lat, d.lat) as lat, coalesce(p.lon, d.lon) as lon from (
         select cell::text as cell, device_id, time, value, lat, lon,
                row_number() over (partition by cell order by value desc, time, device_id) as rn
         from (${USABLE_SQL}) src where cell = any($7::int8[])) p
       left join devices d on d.id = p.device_id
       where p.rn <= $8 order by p.cell, p.rn`,
      [s.metric, f.unit, s.resolution, ts(w.start), ts(w.end), f.vanMaxSpeedKmh, cells.map(cellInt), limit],
    );
    const out = new Map<string, PeakReading[]>();
    for (const r of rows) {
      const k = cellHex(r.cell);
      (out.get(k) ?? out.set(k, []).get(k)!).push({
        deviceId: r.device_id,
        time: r.time.toISOString(),
        value: r.value,
        lat: r.lat,
        lon: r.lon,
      });
    }
    return out;
  }

  /** Paired wind direction and speed readings of fixed devices with a position in the window. */
  async windObservations(w: Window): Promise<WindObservation[]> {
    const { rows } = await this.db.query<{ device_id: string; lat: number; lon: number; dir: number; speed: number }>(
      `select d.device_id, dv.lat, dv.lon, d.value as dir, s.value as speed
       from readings d
       join readings s on s.device_id = d.device_id and s.metric = 'wind_speed' and s.time = d.time and s.qa = 'valid'
       join devices dv on dv.id = d.device_id and dv.kind = 'fixed' and dv.lat is not null
       where d.metric = 'wind_dir' and d.qa = 'valid' and d.time >= $1 and d.time < $2
       order by d.device_id, d.time`,
      [ts(w.start), ts(w.end)],
    );
    return rows.map((r) => ({ deviceId: r.device_id, lat: r.lat, lon: r.lon, dirDeg: r.dir, speedMs: r.speed }));
  }
}
