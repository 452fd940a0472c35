import type { ReadingMessage } from '@voc/domain';
import { h3ToBigint } from './h3.js';
import type { Client, Pool } from './pool.js';

/** Column arrays of a batch of narrow reading rows, as bound to the `unnest` insert. */
interface Columns {
  time: string[];
  device: string[];
  metric: string[];
  value: number[];
  unit: string[];
  rawValue: number[];
  rawUnit: string[];
  refState: string[];
  qa: string[];
  h3: (string | null)[];
  lat: (number | null)[];
  lon: (number | null)[];
  speed: (number | null)[];
  fix: (string | null)[];
  receivedAt: string[];
}

/**
 * Expands reading messages to narrow rows (one per value). Fixed-device positions live in `devices`,
 * so only vans carry lat/lon per row.
 */
export function toColumns(messages: readonly ReadingMessage[]): Columns {
  const c: Columns = {
    time: [],
    device: [],
    metric: [],
    value: [],
    unit: [],
    rawValue: [],
    rawUnit: [],
    refState: [],
    qa: [],
    h3: [],
    lat: [],
    lon: [],
    speed: [],
    fix: [],
    receivedAt: [],
  };
  for (const m of messages) {
    const h3 = m.h3 ? h3ToBigint(m.h3) : null;
    const van = m.kind === 'van';
    for (const v of m.values) {
      c.time.push(m.time);
      c.device.push(m.deviceId);
      c.metric.push(v.metric);
      c.value.push(v.value);
      c.unit.push(v.unit);
      c.rawValue.push(v.rawValue);
      c.rawUnit.push(v.rawUnit);
      c.refState.push(v.refState);
      c.qa.push(v.qa);
      c.h3.push(h3);
      c.lat.push(van ? m.lat : null);
      c.lon.push(van ? m.lon : null);
      c.speed.push(m.gps?.speedKmh ?? null);
      c.fix.push(m.gps?.fix ?? null);
      c.receivedAt.push(m.receivedAt);
    }
  }
  return c;
}

// stored_xid/stored_seq: the storage order of the `stored_after` feed (migrations/007_api.sql).
const INSERT = `insert into readings (time, device_id, metric, value, unit, raw_value, raw_unit, ref_state, qa, h3, lat, lon, speed_kmh, gps_fix, received_at,
                      stored_xid, stored_seq)
  select u.*, pg_current_xact_id(), nextval('readings_stored_seq') from unnest($1::timestamptz[], $2::text[], $3::text[], $4::float8[], $5::text[], $6::float8[], $7::text[], $8::text[], $9::text[],
                       $10::int8[], $11::float8[], $12::float8[], $13::float4[], $14::text[], $15::timestamptz[]) as u
  on conflict (device_id, metric, time) do nothing`;

/** Reading store (hypertable `readings` on TimescaleDB, a plain table otherwise). */
export class ReadingRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Inserts the rows of `messages` in one statement (multi-row insert from arrays). Idempotent on
   * (device, metric, time): a redelivered reading is skipped, so at-least-once delivery stores each
   * value exactly once.
   * @param client run inside this transaction; defaults to the pool (autocommit)
   * @returns number of rows newly inserted
   */
  async insertBatch(messages: readonly ReadingMessage[], client?: Client): Promise<number> {
    if (messages.length === 0) return 0;
    const c = toColumns(messages);
    const r = await (client ?? this.pool).query(INSERT, [
      c.time,
      c.device,
      c.metric,
      c.value,
      c.unit,
      c.rawValue,
      c.rawUnit,
      c.refState,
      c.qa,
      c.h3,
      c.lat,
      c.lon,
      c.speed,
      c.fix,
      c.receivedAt,
    ]);
    return r.rowCount ?? 0;
  }
}
