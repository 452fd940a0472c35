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

  /** Credentials of every device, for the broker password file and ACL. */
  async credentials(): Promise<DeviceCredential[]> {
    const { rows } = await this.pool.query<{ id: string; kind: Device['kind']; status: Device['status']; credential_hash: string | null }>(
      `select id, kind, status, credential_hash from devices order by id`,
    );
    return rows.map((r) => ({ id: r.id, kind: r.kind, status: r.status, credentialHash: r.credential_hash }));
  }
}
