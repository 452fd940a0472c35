import { ERRORS, VocError } from '@voc/domain';
import { findJurisdiction } from '@voc/hotspot';
import type { RouteContext } from '../app.js';
import { limit } from '../schemas.js';

/** The repositories the series and aggregate routes share. */
type Repos = RouteContext['deps']['repos'];

/**
 * An empty answer for a device id the registry does not hold is a 404, not an empty page (a typo
 * must not look like "no data"); checked only when the answer is empty, so a full page costs nothing.
 * @throws VocError `not_found` naming the id
 */
export async function requireDeviceWhenEmpty(repos: Repos, id: string, empty: boolean): Promise<void> {
  if (empty && !(await repos.devices.get(id))) throw new VocError(ERRORS.not_found.code, `id: no device "${id}"`);
}

/**
 * Ids of the located devices inside a street office's polygon.
 * @throws VocError `invalid_request` when the office is not in the jurisdiction map
 */
export async function officeDevices(repos: Repos, office: string): Promise<string[]> {
  const j = (await repos.jurisdictions.list()).find((x) => x.id === office);
  if (!j) throw new VocError(ERRORS.invalid_request.code, `street_office: "${office}" is not a known street office`);
  const all = await repos.devices.list();
  return all.filter((d) => d.lat !== null && d.lon !== null && findJurisdiction({ lat: d.lat, lon: d.lon }, [j])).map((d) => d.id);
}

/**
 * The series routes' caps from the API settings: `lim` for the use-cases (page, range, buckets) and
 * `pageLimit`, the `limit` query parameter's schema (default and maximum page).
 */
export function seriesLimits(config: RouteContext['deps']['config']) {
  return {
    lim: { maxPage: config.api.maxPage, maxRangeDays: config.api.maxRangeDays, maxBuckets: config.api.maxBuckets },
    pageLimit: limit(config.api.defaultPage, config.api.maxPage),
  };
}
