import type { TraceContextPort } from '@voc/core';
import type { Facility } from '@voc/hotspot';
import { cellInt, type Queryable } from './sql.js';
import { latLngToCell } from 'h3-js';
import type { FacilityStore } from '@voc/core';
import { STORED_H3_RESOLUTION } from '@voc/domain';
import type { FacilityInput } from '@voc/hotspot';
import { h3ToBigint } from './h3.js';
import type { Pool } from './pool.js';

/** {@link FacilityStore} on PostgreSQL (table `facilities`). */
export class FacilityRepository implements FacilityStore {
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
}

/** Candidate facilities of a set of cells, on the evaluation transaction. */
export class FacilityLookup implements Pick<TraceContextPort, 'facilitiesNear'> {
  constructor(private readonly db: Queryable) {}

  async facilitiesNear(cells: readonly string[], resolution: number): Promise<Facility[]> {
    if (cells.length === 0) return [];
    const { rows } = await this.db.query<{
      id: string;
      category: string;
      name: string;
      lat: number;
      lon: number;
      fume_device_ids: string[];
    }>(`select id, category, name, lat, lon, fume_device_ids from facilities where h3_parent(h3, $1) = any($2::int8[]) order by id`, [
      resolution,
      cells.map(cellInt),
    ]);
    return rows.map((r) => ({ id: r.id, category: r.category, name: r.name, lat: r.lat, lon: r.lon, fumeDeviceIds: r.fume_device_ids }));
  }
}
