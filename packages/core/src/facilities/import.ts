import type { FacilityInput } from '@voc/hotspot';

/** Storage of candidate sources (table `facilities`). */
export interface FacilityStore {
  /** Inserts or updates facilities by id. @returns [inserted, updated] */
  upsertFacilities(items: readonly FacilityInput[]): Promise<[number, number]>;
}

/** Registers facilities (candidate sources); re-importing a file updates rows by id. */
export async function importFacilities(
  store: FacilityStore,
  items: readonly FacilityInput[],
): Promise<{ inserted: number; updated: number }> {
  const [inserted, updated] = await store.upsertFacilities(items);
  return { inserted, updated };
}
