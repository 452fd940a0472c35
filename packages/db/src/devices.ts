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

/**
 * What the gateway's device directory holds of one device: identity, status and credentials (hashes
 * only). `previousCredentialHash` is set during a password rotation, accepted until `previousUntil`.
 */
export interface DeviceCredentialRecord extends Device {
  credentialHash: string | null;
  previousCredentialHash: string | null;
  previousUntil: Date | null;
  /** Last change of the row (status, credential, description), database clock. */
  updatedAt: Date;
}

/** A directory read: the rows and the database time the read ran at (the next incremental read's `since`). */
export interface DeviceCredentialSnapshot {
  readonly rows: DeviceCredentialRecord[];
  readonly readAt: Date;
}

interface CredentialRow extends DeviceRow {
  credential_hash: string | null;
  previous_credential_hash: string | null;
  previous_credential_until: Date | null;
  updated_at: Date;
  read_at: Date;
}

const CREDENTIAL_COLS =
  'id, kind, status, name, sensor, lat, lon, metadata, credential_hash, previous_credential_hash, previous_credential_until, updated_at, now() as read_at';

function toRecord(r: CredentialRow): DeviceCredentialRecord {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    name: r.name,
    sensor: r.sensor,
    lat: r.lat,
    lon: r.lon,
    metadata: r.metadata,
    credentialHash: r.credential_hash,
    previousCredentialHash: r.previous_credential_hash,
    previousUntil: r.previous_credential_until,
    updatedAt: r.updated_at,
  };
}

const COLS = 'id, kind, status, name, sensor, lat, lon, metadata';

/**
 * Per-metric uncertainty (σ, canonical unit) a registration states in its metadata, as
 * `metadata.uncertainty.<metric>` = a number or `{ noise: number }` (the simulator's form). Stored in
 * `devices.uncertainty` (migration 009), which the hotspot method's minimum excess reads.
 */
export function statedUncertainty(metadata: Record<string, unknown> | undefined): Record<string, number> {
  const u = metadata?.['uncertainty'];
  if (!u || typeof u !== 'object') return {};
  const out: Record<string, number> = {};
  for (const [metric, v] of Object.entries(u as Record<string, unknown>)) {
    const n = typeof v === 'number' ? v : v && typeof v === 'object' ? (v as { noise?: unknown }).noise : undefined;
    if (typeof n === 'number' && Number.isFinite(n) && n >= 0) out[metric] = n;
  }
  return out;
}

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
   * Registers devices or updates their descriptive fields (kind, name, sensor, position, metadata, and
   * the uncertainty the metadata states: {@link statedUncertainty});
   * status and credential are left as they are for existing ids.
   * @returns ids that were newly created
   */
  async upsert(devices: readonly DeviceInput[]): Promise<string[]> {
    if (devices.length === 0) return [];
    const { rows } = await this.pool.query<{ id: string; created: boolean }>(
      `insert into devices (id, kind, name, sensor, lat, lon, metadata, uncertainty)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::jsonb[], $8::jsonb[])
       on conflict (id) do update set kind = excluded.kind, name = excluded.name, sensor = excluded.sensor,
         lat = excluded.lat, lon = excluded.lon, metadata = excluded.metadata, uncertainty = excluded.uncertainty, updated_at = now()
       returning id, (xmax = 0) as created`,
      [
        devices.map((d) => d.id),
        devices.map((d) => d.kind),
        devices.map((d) => d.name ?? null),
        devices.map((d) => d.sensor ?? null),
        devices.map((d) => d.lat ?? null),
        devices.map((d) => d.lon ?? null),
        devices.map((d) => JSON.stringify(d.metadata ?? {})),
        devices.map((d) => JSON.stringify(statedUncertainty(d.metadata))),
      ],
    );
    return rows.filter((r) => r.created).map((r) => r.id);
  }

  /** Replaces a device's credential hash and ends any rotation. @returns false when the device does not exist. */
  async setCredentialHash(id: string, hash: string): Promise<boolean> {
    const r = await this.pool.query(
      `update devices set credential_hash = $2, previous_credential_hash = null, previous_credential_until = null, updated_at = now()
       where id = $1`,
      [id, hash],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /**
   * Starts a password rotation: the current hash becomes the previous one, accepted until
   * `graceUntil`; `hash` becomes the current one. @returns false when the device does not exist.
   */
  async rotateCredential(id: string, hash: string, graceUntil: Date): Promise<boolean> {
    const r = await this.pool.query(
      `update devices set previous_credential_hash = credential_hash, previous_credential_until = $3,
         credential_hash = $2, updated_at = now() where id = $1`,
      [id, hash, graceUntil],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** Ends a rotation: the previous hash is forgotten. @returns false when the device does not exist. */
  async endRotation(id: string): Promise<boolean> {
    const r = await this.pool.query(
      `update devices set previous_credential_hash = null, previous_credential_until = null, updated_at = now() where id = $1`,
      [id],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /**
   * Replaces a legacy hash by a stronger one after a successful login, only if the stored hash is still
   * `oldHash` (a rotation meanwhile wins). Runs as the gateway's role, which may update this column
   * only (migrations/006_device_credentials.sql), so `updated_at` is left as it is.
   * @returns whether the hash was replaced
   */
  async upgradeCredentialHash(id: string, oldHash: string, newHash: string): Promise<boolean> {
    const r = await this.pool.query(`update devices set credential_hash = $3 where id = $1 and credential_hash = $2`, [
      id,
      oldHash,
      newHash,
    ]);
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

  /** Ids of the devices that have a credential hash. */
  async withCredentials(): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(`select id from devices where credential_hash is not null order by id`);
    return rows.map((r) => r.id);
  }

  /**
   * The gateway's directory read: every device, or (with `since`) those changed at or after `since`,
   * with their credential hashes; `readAt` is the database time of the read.
   */
  async credentialSnapshot(since?: Date): Promise<DeviceCredentialSnapshot> {
    const { rows } =
      since === undefined
        ? await this.pool.query<CredentialRow>(`select ${CREDENTIAL_COLS} from devices`)
        : await this.pool.query<CredentialRow>(`select ${CREDENTIAL_COLS} from devices where updated_at >= $1`, [since]);
    if (rows.length > 0) return { rows: rows.map(toRecord), readAt: (rows[0] as CredentialRow).read_at };
    const t = await this.pool.query<{ now: Date }>('select now() as now');
    return { rows: [], readAt: (t.rows[0] as { now: Date }).now };
  }

  /** One device's directory record, or undefined. */
  async credentialRecord(id: string): Promise<DeviceCredentialRecord | undefined> {
    const { rows } = await this.pool.query<CredentialRow>(`select ${CREDENTIAL_COLS} from devices where id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : undefined;
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
}
