/**
 * Pasquill–Gifford atmospheric stability class from surface wind speed and insolation (Pasquill 1961,
 * *Meteorol. Mag.* 90:33; table as in Turner 1970, *Workbook of Atmospheric Dispersion Estimates*, US EPA
 * AP-26, Table 1), with daytime insolation from the solar elevation (Turner 1964, *J. Appl. Meteorol.*
 * 3:83: strong above 60°, moderate 35–60°, slight 15–35°; we also count 0–15° as slight).
 *
 * The Beijing files carry no cloud cover, so nights are taken as clear (≤ 3/8 cloud), the more stable
 * column of the table: a choice of ours, conservative in that it keeps night plumes concentrated.
 */

/** Pasquill–Gifford classes, very unstable (A) to stable (F), with the table's intermediate classes. */
export type StabilityClass = 'A' | 'A-B' | 'B' | 'B-C' | 'C' | 'C-D' | 'D' | 'E' | 'F';

/** Daytime insolation class, or night. */
export type Insolation = 'strong' | 'moderate' | 'slight' | 'night';

/**
 * Solar elevation angle, degrees, at a time and place: declination after Cooper (1969, *Solar Energy*
 * 12:333), δ = 23.45° sin(360° (284 + N) / 365); hour angle from local mean solar time (UTC + lon/15 h;
 * the equation of time, ≤ 16 min, is neglected).
 */
export function solarElevationDeg(t: number, lat: number, lon: number): number {
  const d = new Date(t);
  const start = Date.UTC(d.getUTCFullYear(), 0, 1);
  const dayOfYear = Math.floor((t - start) / 86_400_000) + 1;
  const rad = Math.PI / 180;
  const decl = 23.45 * Math.sin(((360 * (284 + dayOfYear)) / 365) * rad);
  const solarHours = (((t / 3_600_000 + lon / 15) % 24) + 24) % 24;
  const hourAngle = (solarHours - 12) * 15;
  const sinEl = Math.sin(lat * rad) * Math.sin(decl * rad) + Math.cos(lat * rad) * Math.cos(decl * rad) * Math.cos(hourAngle * rad);
  return Math.asin(Math.max(-1, Math.min(1, sinEl))) / rad;
}

/** Insolation class from the solar elevation (Turner 1964 thresholds, see module notes). */
export function insolationOf(elevationDeg: number): Insolation {
  if (elevationDeg <= 0) return 'night';
  if (elevationDeg > 60) return 'strong';
  if (elevationDeg > 35) return 'moderate';
  return 'slight';
}

/**
 * Pasquill–Gifford class (Turner 1970 Table 1). Rows by surface wind speed (m/s, at 10 m):
 * < 2, 2–3, 3–5, 5–6, > 6. Day columns strong / moderate / slight; night, clear sky (≤ 3/8 cloud):
 * F, F, E, D, D (the table leaves < 2 m/s at night blank; F is the usual reading).
 */
export function pasquillClass(windSpeed: number, insolation: Insolation): StabilityClass {
  const row = windSpeed < 2 ? 0 : windSpeed < 3 ? 1 : windSpeed < 5 ? 2 : windSpeed < 6 ? 3 : 4;
  const table: Record<Insolation, readonly StabilityClass[]> = {
    strong: ['A', 'A-B', 'B', 'C', 'C'],
    moderate: ['A-B', 'B', 'B-C', 'C-D', 'D'],
    slight: ['B', 'C', 'C', 'D', 'D'],
    night: ['F', 'F', 'E', 'D', 'D'],
  };
  return table[insolation][row]!;
}
