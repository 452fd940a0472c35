import type { ApiKeyRecord, ApiKeyStore, NewApiKey } from '@voc/core';
import type { Pool } from './pool.js';

interface KeyRow {
  id: number;
  prefix: string;
  hash: Buffer;
  role: ApiKeyRecord['role'];
  label: string | null;
  team: string | null;
  street_offices: string[] | null;
  created_at: Date;
  created_by: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const COLS = 'id, prefix, hash, role, label, team, street_offices, created_at, created_by, expires_at, revoked_at, last_used_at';

function record(r: KeyRow): ApiKeyRecord {
  return {
    id: r.id,
    prefix: r.prefix,
    role: r.role,
    label: r.label,
    team: r.team,
    streetOffices: r.street_offices,
    createdAt: r.created_at.toISOString(),
    createdBy: r.created_by,
    expiresAt: r.expires_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null,
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
  };
}

/** {@link ApiKeyStore} on the `api_keys` table (migrations/007_api.sql): hashes only, never a key. */
export class ApiKeyRepository implements ApiKeyStore {
  constructor(private readonly pool: Pool) {}

  async unknownStreetOffices(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<{ id: string }>(`select id from jurisdictions where id = any($1::text[])`, [ids]);
    const known = new Set(rows.map((r) => r.id));
    return ids.filter((id) => !known.has(id));
  }

  async insert(k: NewApiKey): Promise<ApiKeyRecord> {
    const { rows } = await this.pool.query<KeyRow>(
      `insert into api_keys (prefix, hash, role, label, team, street_offices, created_by, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8) returning ${COLS}`,
      [k.prefix, k.hash, k.role, k.label, k.team, k.streetOffices, k.createdBy, k.expiresAt],
    );
    return record(rows[0]!);
  }

  async byPrefix(prefix: string): Promise<{ record: ApiKeyRecord; hash: Buffer } | undefined> {
    const { rows } = await this.pool.query<KeyRow>(`select ${COLS} from api_keys where prefix = $1`, [prefix]);
    const r = rows[0];
    return r ? { record: record(r), hash: r.hash } : undefined;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.pool.query<KeyRow>(`select ${COLS} from api_keys order by id desc`);
    return rows.map(record);
  }

  async revoke(idOrPrefix: string): Promise<ApiKeyRecord | undefined> {
    const id = /^\d{1,18}$/.test(idOrPrefix) ? idOrPrefix : null;
    const { rows } = await this.pool.query<KeyRow>(
      `update api_keys set revoked_at = coalesce(revoked_at, now()) where ($1::int8 is not null and id = $1::int8) or prefix = $2 returning ${COLS}`,
      [id, idOrPrefix],
    );
    return rows[0] ? record(rows[0]) : undefined;
  }

  async touch(id: number): Promise<void> {
    await this.pool.query(
      `update api_keys set last_used_at = now() where id = $1 and (last_used_at is null or last_used_at < now() - interval '1 minute')`,
      [id],
    );
  }
}
