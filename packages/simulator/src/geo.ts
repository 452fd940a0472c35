/**
 * Plane geometry over a small area (a district, ≤ 20 km): a local equirectangular projection around a
 * reference point, good to better than 0.1 % in distance at this scale, plus the great-circle distance
 * for scoring. Coordinates are WGS-84 degrees (DOMAIN.md §7); local coordinates are metres east/north.
 */

/** Mean Earth radius, m (IUGG mean radius R1 = 6,371,008.8 m; Moritz 2000, *J. Geodesy* 74:128). */
export const EARTH_RADIUS_M = 6_371_008.8;

const RAD = Math.PI / 180;

/** A WGS-84 position in degrees. */
export interface LatLon {
  readonly lat: number;
  readonly lon: number;
}

/** A local position in metres east (`x`) and north (`y`) of a projection's origin. */
export interface XY {
  readonly x: number;
  readonly y: number;
}

/** A local projection: degrees ↔ metres around `origin`. */
export interface Projection {
  readonly origin: LatLon;
  toXY(p: LatLon): XY;
  toLatLon(p: XY): LatLon;
}

/** Equirectangular projection around `origin` (x east, y north, metres). */
export function localProjection(origin: LatLon): Projection {
  const kx = EARTH_RADIUS_M * RAD * Math.cos(origin.lat * RAD);
  const ky = EARTH_RADIUS_M * RAD;
  return {
    origin,
    toXY: (p) => ({ x: (p.lon - origin.lon) * kx, y: (p.lat - origin.lat) * ky }),
    toLatLon: (p) => ({ lat: origin.lat + p.y / ky, lon: origin.lon + p.x / kx }),
  };
}

/** Great-circle (haversine) distance between two positions, m. */
export function haversineM(a: LatLon, b: LatLon): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLon = (b.lon - a.lon) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** A GeoJSON linear ring: `[lon, lat]` positions, first equal to last. */
export type Ring = readonly (readonly [number, number])[];

/** A polygon: outer ring first, then holes (GeoJSON order). */
export type PolygonRings = readonly Ring[];

function inRing(lon: number, lat: number, ring: Ring): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Point in polygon by ray casting (even–odd rule; holes excluded). Points exactly on an edge may fall either way. */
export function inPolygon(p: LatLon, polygon: PolygonRings): boolean {
  const [outer, ...holes] = polygon;
  if (!outer || !inRing(p.lon, p.lat, outer)) return false;
  return !holes.some((h) => inRing(p.lon, p.lat, h));
}

/** Bounding box `[minLon, minLat, maxLon, maxLat]` of a set of polygons. */
export function bbox(polygons: readonly PolygonRings[]): [number, number, number, number] {
  let b: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const poly of polygons)
    for (const [lon, lat] of poly[0] ?? []) b = [Math.min(b[0], lon), Math.min(b[1], lat), Math.max(b[2], lon), Math.max(b[3], lat)];
  return b;
}
