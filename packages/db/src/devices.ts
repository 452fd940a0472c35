import type { Device, DeviceInput } from '@voc/domain';
import type { Pool } from './pool.js';

interface DeviceRow {
  id: string;
  kind: Device['kind'];
  status: Device['status'];
  name: string | null;
  sensor: string | null;
  lat: number | null;
  lon: number | null;
  metadata: Record<string, unknown>;
}

/** Device with its broker credential hash, for generating the broker's password file. */
export interface DeviceCredential {
  id: string;
  kind: Device['kind'];
  status: Device['status'];
  credentialHash: string | null;
}

const COLS = 'id, kind, status, name, sensor, lat, lon, metadata';

/**
 * Health of one device over a recent window (`DeviceRepository.health`): readings are counted by
 * receive time; a message is one device timestamp (a message carries several metrics). To bound the
 * scan of the time-partitioned table, only readings whose device time lies within a day of the window
 * are counted (data buffered for longer is left out of the rate and the skew).
 */
export interface DeviceHealth {
  /** Device time of the newest reading of the last 30 days, ISO 8601; null when none. */
  readonly lastReadingAt: string | null;
  /** Gateway receive time of the newest reading received in the window; null when none. */
  readonly lastReceivedAt: string | null;
  /** Messages (distinct device timestamps) and readings received in the window. */
  readonly messages: number;
  readonly readings: number;
  /**
   * Median of device time − receive time over the window's readings, seconds (negative: the device
   * clock is behind). It includes the transport delay, and buffered data sent late inflates it; null
   * when no reading was received in the window.
   */
  readonly clockSkewS: number | null;
  /** Dead letters of the device received in the window, by reason, most first. */
  readonly rejected: { readonly reason: string; readonly n: number }[];
}

/** Device registry (table `devices`). */
export class DeviceRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Registers devices or updates their descriptive fields (kind, name, sensor, position, metadata);
   * status and credential are left as they are for existing ids.
   * @returns ids that were newly created
   */
  async upsert(devices: readonly DeviceInput[]): Promise<string[]> {
    if (devices.length === 0) return [];
    const { rows } = await this.pool.query<{ id: string; created: boolean }>(
      `insert into devices (id, kind, name, sensor, lat, lon, metadata)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::jsonb[])
       on conflict (id) do update set kind = excluded.kind, name = excluded.name, sensor = excluded.sensor,
         lat = excluded.lat, lon = excluded.lon, metadata = excluded.metadata, updated_at = now()
       returning id, (xmax = 0) as created`,
      [
        devices.map((d) => d.id),
        devices.map((d) => d.kind),
        devices.map((d) => d.name ?? null),
        devices.map((d) => d.sensor ?? null),
        devices.map((d) => d.lat ?? null),
        devices.map((d) => d.lon ?? null),
        devices.map((d) => JSON.stringify(d.metadata ?? {})),
      ],
    );
    return rows.filter((r) => r.created).map((r) => r.id);
  }

  /** Stores the broker credential hash of a device. @returns false when the device does not exist. */
  async setCredentialHash(id: string, hash: string): Promise<boolean> {
    const r = await this.pool.query(`update devices set credential_hash = $2, updated_at = now() where id = $1`, [id, hash]);
    return (r.rowCount ?? 0) > 0;
  }

  /** Sets a device's status. @returns false when the device does not exist. */
  async setStatus(id: string, status: Device['status']): Promise<boolean> {
    const r = await this.pool.query(
      `update devices set status = $2, updated_at = now(), disabled_at = case when $2 = 'disabled' then now() else null end where id = $1`,
      [id, status],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** One device, or undefined. */
  async get(id: string): Promise<Device | undefined> {
    const { rows } = await this.pool.query<DeviceRow>(`select ${COLS} from devices where id = $1`, [id]);
    return rows[0];
  }

  /** Every device, ordered by id. */
  async list(): Promise<Device[]> {
    const { rows } = await this.pool.query<DeviceRow>(`select ${COLS} from devices order by id`);
    return rows;
  }

  /**
   * Health of one device between `since` and `until` (ISO 8601): see {@link DeviceHealth}. The newest
   * reading is looked for in the 30 days before `until` (bounded scan).
   */
  async health(id: string, since: string, until: string): Promise<DeviceHealth> {
    const { rows } = await this.pool.query<{
      last_time: Date | null;
      last_received: Date | null;
      messages: number;
      readings: number;
      skew_s: number | null;
      rejected: { reason: string; n: number }[];
    }>(
      `select (select max(time) from readings where device_id = $1 and time > $3::timestamptz - interval '30 days' and time <= $3::timestamptz + interval '1 day') as last_time,
              w.last_received, w.messages, w.readings, w.skew_s,
              coalesce((select json_agg(json_build_object('reason', d.reason, 'n', d.n) order by d.n desc, d.reason)
                        from (select reason, count(*)::int as n from dead_letters
                              where device_id = $1 and received_at >= $2 and received_at < $3 group by reason) d), '[]'::json) as rejected
       from (select max(received_at) as last_received, count(distinct time)::int as messages, count(*)::int as readings,
                    percentile_cont(0.5) within group (order by extract(epoch from time - received_at)) as skew_s
             from readings
             where device_id = $1 and received_at >= $2 and received_at < $3
               and time > $2::timestamptz - interval '1 day' and time < $3::timestamptz + interval '1 day') w`,
      [id, since, until],
    );
    const r = rows[0]!;
    return {
      lastReadingAt: r.last_time?.toISOString() ?? null,
      lastReceivedAt: r.last_received?.toISOString() ?? null,
      messages: r.messages,
      readings: r.readings,
      clockSkewS: r.skew_s,
      rejected: r.rejected,
    };
  }

  /** Credentials of every device, for the broker password file and ACL. */
  async credentials(): Promise<DeviceCredential[]> {
    const { rows } = await this.pool.query<{ id: string; kind: Device['kind']; status: Device['status']; credential_hash: string | null }>(
      `select id, kind, status, credential_hash from devices order by id`,
    );
    return rows.map((r) => ({ id: r.id, kind: r.kind, status: r.status, credentialHash: r.credential_hash }));
  }
}
