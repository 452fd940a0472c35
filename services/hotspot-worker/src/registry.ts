import { latLngToCell } from 'h3-js';
import { h3ToBigint, withTransaction, type Pool } from '@voc/db';
import { STORED_H3_RESOLUTION } from '@voc/domain';
import type { FacilityInput, JurisdictionInput } from '@voc/hotspot';

/** Storage of candidate sources and street-office areas. */
export interface RegistryStore {
  /** Inserts or updates facilities by id. @returns [inserted, updated] */
  upsertFacilities(items: readonly FacilityInput[]): Promise<[number, number]>;
  /** Inserts or updates jurisdictions by id. @returns [inserted, updated] */
  upsertJurisdictions(items: readonly JurisdictionInput[]): Promise<[number, number]>;
}

/** Registers facilities (candidate sources); re-importing a file updates rows by id. */
export async function importFacilities(
  store: RegistryStore,
  items: readonly FacilityInput[],
): Promise<{ inserted: number; updated: number }> {
  const [inserted, updated] = await store.upsertFacilities(items);
  return { inserted, updated };
}

/** Registers street-office areas; re-importing a file updates rows by id. */
export async function importJurisdictions(
  store: RegistryStore,
  items: readonly JurisdictionInput[],
): Promise<{ inserted: number; updated: number }> {
  const [inserted, updated] = await store.upsertJurisdictions(items);
  return { inserted, updated };
}

/** {@link RegistryStore} on PostgreSQL (tables `facilities`, `jurisdictions`). */
export class PgRegistryStore implements RegistryStore {
  constructor(private readonly pool: Pool) {}

  async upsertFacilities(items: readonly FacilityInput[]): Promise<[number, number]> {
    if (items.length === 0) return [0, 0];
    const { rows } = await this.pool.query<{ created: boolean }>(
      `insert into facilities (id, category, name, lat, lon, h3, fume_device_ids, address)
       select t.id, t.category, t.name, t.lat, t.lon, t.h3, coalesce(string_to_array(nullif(t.fume, ''), ','), '{}'), t.address
       from unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::int8[], $7::text[], $8::text[]) as t(id, category, name, lat, lon, h3, fume, address)
       on conflict (id) do update set category = excluded.category, name = excluded.name, lat = excluded.lat, lon = excluded.lon, h3 = excluded.h3,
         fume_device_ids = excluded.fume_device_ids, address = excluded.address, updated_at = now()
       returning (xmax = 0) as created`,
      [
        items.map((f) => f.id),
        items.map((f) => f.category),
        items.map((f) => f.name),
        items.map((f) => f.lat),
        items.map((f) => f.lon),
        items.map((f) => h3ToBigint(latLngToCell(f.lat, f.lon, STORED_H3_RESOLUTION))),
        items.map((f) => f.fumeDeviceIds.join(',')),
        items.map((f) => f.address ?? null),
      ],
    );
    const inserted = rows.filter((r) => r.created).length;
    return [inserted, rows.length - inserted];
  }

  upsertJurisdictions(items: readonly JurisdictionInput[]): Promise<[number, number]> {
    return withTransaction(this.pool, async (c) => {
      let inserted = 0;
      for (const j of items) {
        const { rows } = await c.query<{ created: boolean }>(
          `insert into jurisdictions (id, name, geometry, properties) values ($1, $2, $3, $4)
           on conflict (id) do update set name = excluded.name, geometry = excluded.geometry, properties = excluded.properties, updated_at = now()
           returning (xmax = 0) as created`,
          [j.id, j.name, JSON.stringify(j.geometry), JSON.stringify(j.properties)],
        );
        if (rows[0]?.created) inserted += 1;
      }
      return [inserted, items.length - inserted];
    });
  }
}
