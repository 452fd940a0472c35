import type { JurisdictionInput } from '@voc/hotspot';

/** Storage of street-office areas (table `jurisdictions`). */
export interface JurisdictionStore {
  /** Inserts or updates jurisdictions by id. @returns [inserted, updated] */
  upsertJurisdictions(items: readonly JurisdictionInput[]): Promise<[number, number]>;
}

/** Registers street-office areas; re-importing a file updates rows by id. */
export async function importJurisdictions(
  store: JurisdictionStore,
  items: readonly JurisdictionInput[],
): Promise<{ inserted: number; updated: number }> {
  const [inserted, updated] = await store.upsertJurisdictions(items);
  return { inserted, updated };
}
