import type { MultiPolygon, Polygon } from 'geojson';
import type { TraceContextPort } from '@voc/core';
import type { Jurisdiction } from '@voc/hotspot';
import { type Queryable } from './sql.js';
import type { JurisdictionStore } from '@voc/core';
import type { JurisdictionInput } from '@voc/hotspot';
import { withTransaction, type Pool } from './pool.js';

/** {@link JurisdictionStore} on PostgreSQL (table `jurisdictions`). */
export class JurisdictionRepository implements JurisdictionStore {
  constructor(private readonly pool: Pool) {}

  /** Every street office with its area, by id. */
  list(): Promise<Jurisdiction[]> {
    return new JurisdictionLookup(this.pool).jurisdictions();
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

/** Street-office areas, on the evaluation transaction. */
export class JurisdictionLookup implements Pick<TraceContextPort, 'jurisdictions'> {
  constructor(private readonly db: Queryable) {}

  async jurisdictions(): Promise<Jurisdiction[]> {
    const { rows } = await this.db.query<{ id: string; name: string; geometry: Polygon | MultiPolygon }>(
      `select id, name, geometry from jurisdictions order by id`,
    );
    return rows;
  }
}
