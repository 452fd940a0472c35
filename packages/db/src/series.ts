import type {
  BucketQuery,
  BucketRow,
  CellWindowRow,
  DeviceListing,
  DeviceQuery,
  FeedPosition,
  FeedRow,
  LatestRow,
  RawQuery,
  ReadingRow,
  SeriesStore,
} from '@voc/core';
import { bigintToH3, h3ToBigint } from './h3.js';
import type { Pool } from './pool.js';

interface RRow {
  time: Date;
  device_id: string;
  metric: string;
  value: number;
  unit: string;
  raw_value: number;
  raw_unit: string;
  ref_state: string;
  qa: string;
  lat: number | null;
  lon: number | null;
  stored_at: Date;
}

const READING_COLS = `r.time, r.device_id, r.metric, r.value, r.unit, r.raw_value, r.raw_unit, r.ref_state, r.qa,
  coalesce(r.lat, d.lat) as lat, coalesce(r.lon, d.lon) as lon, r.stored_at`;

function reading(r: RRow): ReadingRow {
  return {
    time: r.time.toISOString(),
    deviceId: r.device_id,
    metric: r.metric,
    value: r.value,
    unit: r.unit,
    rawValue: r.raw_value,
    rawUnit: r.raw_unit,
    refState: r.ref_state,
    qa: r.qa,
    lat: r.lat,
    lon: r.lon,
    storedAt: r.stored_at.toISOString(),
  };
}

/** Great-circle distance in metres between a row's (lat, lon) and ($n, $n+1), haversine on a 6,371,008.8 m sphere (IUGG mean radius). */
const haversine = (lat: string, lon: string, p: number) =>
  `2 * 6371008.8 * asin(sqrt(power(sin(radians(${lat} - $${p}) / 2), 2) + cos(radians($${p})) * cos(radians(${lat})) * power(sin(radians(${lon} - $${p + 1}) / 2), 2)))`;

interface CellRow {
  cell: string;
  window_start: Date;
  n: number;
  devices: number;
  mean: number;
  median: number;
  p90: number;
  max: number;
  eligible: boolean;
  high: boolean;
  ratio: number | null;
  robust_z: number | null;
  gi_star: number | null;
  status: string | null;
}

function cellRow(r: CellRow): CellWindowRow {
  return {
    cell: bigintToH3(r.cell),
    windowStart: r.window_start.toISOString(),
    n: r.n,
    devices: r.devices,
    mean: r.mean,
    median: r.median,
    p90: r.p90,
    max: r.max,
    eligible: r.eligible,
    high: r.high,
    ratio: r.ratio,
    robustZ: r.robust_z,
    giStar: r.gi_star,
    hotspot: r.status === 'open' ? 'open' : 'none',
  };
}

const CELL_SELECT = `select s.cell::text as cell, s.window_start, s.n, s.devices, s.mean, s.median, s.p90, s.max, s.eligible, s.high, s.ratio, s.robust_z, s.gi_star, st.status
  from hotspot_cell_stats s
  left join hotspot_cell_states st on st.metric = s.metric and st.resolution = s.resolution and st.window_minutes = s.window_minutes
    and st.window_start = s.window_start and st.cell = s.cell`;

/**
 * {@link SeriesStore} on PostgreSQL: raw readings, the storage-order feed, buckets (the hourly
 * continuous aggregate `cell_hourly` on TimescaleDB for whole-hour widths, raw rows otherwise), the
 * latest view and the hotspot grid's cell statistics. Every query is parameterised; nothing from a
 * request is spliced into SQL.
 */
export class SeriesRepository implements SeriesStore {
  private hasRollup: Promise<boolean> | undefined;
  constructor(private readonly pool: Pool) {}

  async devices(q: DeviceQuery): Promise<DeviceListing[]> {
    const p: unknown[] = [q.kinds?.length ? q.kinds : null, q.status ?? null, q.metric ?? null, q.ids ?? null, q.after ?? null, q.limit];
    let geo = 'true';
    if (q.geo && 'bbox' in q.geo) {
      p.push(...q.geo.bbox);
      geo = `d.lon between $7 and $9 and d.lat between $8 and $10`;
    } else if (q.geo) {
      p.push(q.geo.lat, q.geo.lon, q.geo.radiusM);
      geo = `${haversine('d.lat', 'd.lon', 7)} <= $9`;
    }
    const { rows } = await this.pool.query<{
      id: string;
      kind: DeviceListing['kind'];
      status: DeviceListing['status'];
      name: string | null;
      sensor: string | null;
      lat: number | null;
      lon: number | null;
      metadata: Record<string, unknown>;
    }>(
      `select d.id, d.kind, d.status, d.name, d.sensor, d.lat, d.lon, d.metadata from devices d
       where ($1::text[] is null or d.kind = any($1)) and ($2::text is null or d.status = $2)
         and ($3::text is null or exists (select 1 from readings r where r.device_id = d.id and r.metric = $3))
         and ($4::text[] is null or d.id = any($4)) and ($5::text is null or d.id > $5) and ${geo}
       order by d.id limit $6`,
      p,
    );
    if (rows.length === 0) return [];
    // Metrics and last reading per listed device: one index probe per (device, metric) seen.
    const seen = await this.pool.query<{ device_id: string; metrics: string[]; last_seen: Date | null }>(
      `select d.id as device_id, coalesce(array_agg(m.metric order by m.metric) filter (where m.metric is not null), '{}') as metrics, max(m.last) as last_seen
       from unnest($1::text[]) d(id)
       left join lateral (
         with recursive ms(metric) as (
           (select metric from readings where device_id = d.id order by metric limit 1)
           union all
           select (select r.metric from readings r where r.device_id = d.id and r.metric > ms.metric order by r.metric limit 1) from ms where ms.metric is not null
         )
         select ms.metric, (select max(time) from readings r where r.device_id = d.id and r.metric = ms.metric) as last from ms where ms.metric is not null
       ) m on true
       group by d.id`,
      [rows.map((r) => r.id)],
    );
    const by = new Map(seen.rows.map((s) => [s.device_id, s]));
    return rows.map((r) => ({ ...r, metrics: by.get(r.id)?.metrics ?? [], lastSeen: by.get(r.id)?.last_seen?.toISOString() ?? null }));
  }

  async raw(q: RawQuery): Promise<ReadingRow[]> {
    const { rows } = await this.pool.query<RRow>(
      `select ${READING_COLS} from readings r join devices d on d.id = r.device_id
       where r.device_id = $1 and ($2::text is null or r.metric = $2) and r.time >= $3 and r.time < $4
         and ($5::timestamptz is null or (r.time, r.metric) > ($5, $6::text))
       order by r.time, r.metric limit $7`,
      [q.deviceId, q.metric ?? null, q.from, q.to, q.after?.time ?? null, q.after?.metric ?? '', q.limit],
    );
    return rows.map(reading);
  }

  async feed(after: FeedPosition | undefined, limit: number): Promise<FeedRow[]> {
    // Only transactions older than every one still running: nothing can later appear below the cursor.
    const { rows } = await this.pool.query<RRow & { xid: string; seq: string }>(
      `select ${READING_COLS}, r.stored_xid::text as xid, r.stored_seq::text as seq from readings r join devices d on d.id = r.device_id
       where r.stored_xid is not null and (r.stored_xid, r.stored_seq) > ($1::xid8, $2::int8)
         and r.stored_xid < pg_snapshot_xmin(pg_current_snapshot())
       order by r.stored_xid, r.stored_seq limit $3`,
      [after?.xid ?? '0', after?.seq ?? '0', limit],
    );
    return rows.map((r) => ({ ...reading(r), position: { xid: r.xid, seq: r.seq } }));
  }

  private rollup(): Promise<boolean> {
    this.hasRollup ??= this.pool
      .query<{ ok: boolean }>(`select to_regclass('cell_hourly') is not null as ok`)
      .then((r) => r.rows[0]?.ok === true);
    return this.hasRollup;
  }

  async buckets(q: BucketQuery): Promise<{ rows: BucketRow[]; source: 'raw' | 'continuous_aggregate'; cadenceS: number | null }> {
    type Row = { bucket: Date; count: number; avg: number; min: number; max: number; p90: number | null; first: Date; last: Date };
    const width = q.widthMinutes;
    const bin = (col: string) => `date_bin(make_interval(mins => $5), ${col}, timestamptz '1970-01-01')`;
    let sql: string;
    let params: unknown[];
    let source: 'raw' | 'continuous_aggregate' = 'raw';
    if (q.deviceId !== undefined && width % 60 === 0 && (await this.rollup())) {
      // cell_hourly counts usable readings only (003_hotspots.timescale.sql) and keeps no percentile.
      source = 'continuous_aggregate';
      sql = `select ${bin('bucket')} as bucket, sum(n)::int8 as count, sum(sum) / sum(n) as avg, min(min) as min, max(max) as max, null::float8 as p90,
               min(bucket) as first, max(bucket) as last
             from cell_hourly where device_id = $1 and metric = $2 and bucket >= $3 and bucket < $4 group by 1 order by 1`;
      params = [q.deviceId, q.metric, q.from, q.to, width];
    } else if (q.deviceId !== undefined) {
      sql = `select ${bin('time')} as bucket, count(*)::int8 as count, avg(value) as avg, min(value) as min, max(value) as max,
               percentile_cont(0.9) within group (order by value) as p90, min(time) as first, max(time) as last
             from readings where device_id = $1 and metric = $2 and time >= $3 and time < $4 group by 1 order by 1`;
      params = [q.deviceId, q.metric, q.from, q.to, width];
    } else {
      const cell = BigInt(h3ToBigint(q.cell ?? '0'));
      const res = Number((cell >> 52n) & 15n);
      sql = `select ${bin('r.time')} as bucket, count(*)::int8 as count, avg(r.value) as avg, min(r.value) as min, max(r.value) as max,
               percentile_cont(0.9) within group (order by r.value) as p90, min(r.time) as first, max(r.time) as last
             from readings r where r.metric = $2 and r.time >= $3 and r.time < $4 and h3_parent(r.h3, $6) = $1::int8 group by 1 order by 1`;
      params = [cell.toString(), q.metric, q.from, q.to, width, res];
    }
    const { rows } = await this.pool.query<Row>(sql, params);
    let cadenceS: number | null = null;
    if (q.deviceId !== undefined && source === 'raw') {
      const n = rows.reduce((a, r) => a + r.count, 0);
      const first = rows[0]?.first;
      const last = rows[rows.length - 1]?.last;
      if (n >= 2 && first && last) cadenceS = (last.getTime() - first.getTime()) / 1000 / (n - 1);
    }
    return {
      source,
      cadenceS,
      rows: rows.map((r) => ({ bucket: r.bucket.toISOString(), count: r.count, avg: r.avg, min: r.min, max: r.max, p90: r.p90 })),
    };
  }

  async latest(q: { metric?: string; deviceIds?: readonly string[]; since: string; limit: number }): Promise<LatestRow[]> {
    // One backward index probe (primary key device_id, metric, time) per device: cost follows devices, not rows.
    const { rows } = await this.pool.query<{
      device_id: string;
      kind: LatestRow['kind'];
      metric: string;
      time: Date;
      value: number;
      unit: string;
      ref_state: string;
      lat: number | null;
      lon: number | null;
    }>(
      `select d.id as device_id, d.kind, $1::text as metric, r.time, r.value, r.unit, r.ref_state, coalesce(r.lat, d.lat) as lat, coalesce(r.lon, d.lon) as lon
       from devices d
       cross join lateral (select time, value, unit, ref_state, lat, lon from readings
                           where device_id = d.id and metric = $1 and time >= $2 order by time desc limit 1) r
       where ($3::text[] is null or d.id = any($3))
       order by d.id limit $4`,
      [q.metric, q.since, q.deviceIds ?? null, q.limit],
    );
    return rows.map((r) => ({
      deviceId: r.device_id,
      kind: r.kind,
      metric: r.metric,
      time: r.time.toISOString(),
      value: r.value,
      unit: r.unit,
      refState: r.ref_state,
      lat: r.lat,
      lon: r.lon,
    }));
  }

  async cellMap(q: { metric: string; resolution: number; windowMinutes: number; windowStart: string }): Promise<CellWindowRow[]> {
    const { rows } = await this.pool.query<CellRow>(
      `${CELL_SELECT} where s.metric = $1 and s.resolution = $2 and s.window_minutes = $3 and s.window_start = $4 order by s.cell`,
      [q.metric, q.resolution, q.windowMinutes, q.windowStart],
    );
    return rows.map(cellRow);
  }

  async cellSeries(q: {
    metric: string;
    resolution: number;
    windowMinutes: number;
    cell: string;
    from: string;
    to: string;
  }): Promise<CellWindowRow[]> {
    const { rows } = await this.pool.query<CellRow>(
      `${CELL_SELECT} where s.metric = $1 and s.resolution = $2 and s.window_minutes = $3 and s.cell = $4 and s.window_start >= $5 and s.window_start < $6
       order by s.window_start`,
      [q.metric, q.resolution, q.windowMinutes, h3ToBigint(q.cell), q.from, q.to],
    );
    return rows.map(cellRow);
  }

  async lastWindow(q: { metric: string; resolution: number; windowMinutes: number; before: string }): Promise<string | null> {
    const { rows } = await this.pool.query<{ w: Date | null }>(
      `select max(window_start) as w from hotspot_cell_stats
       where metric = $1 and resolution = $2 and window_minutes = $3 and window_start <= $4`,
      [q.metric, q.resolution, q.windowMinutes, q.before],
    );
    return rows[0]?.w?.toISOString() ?? null;
  }
}
