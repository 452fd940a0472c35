import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import type { MultiPolygon, Polygon } from 'geojson';
import {
  cellToBoundary,
  cellToLatLng,
  cellToParent,
  getHexagonEdgeLengthAvg,
  getResolution,
  greatCircleDistance,
  gridDisk,
  latLngToCell,
  UNITS as H3_UNITS,
} from 'h3-js';
import type { TraceSettings } from './settings.js';

/** WGS-84 position in degrees. */
export interface LatLon {
  readonly lat: number;
  readonly lon: number;
}

/** GeoJSON polygon of an H3 cell: `[lon, lat]` pairs, closed ring (h3-js `cellToBoundary(cell, true)`). */
export function cellPolygon(cell: string): Polygon {
  return { type: 'Polygon', coordinates: [cellToBoundary(cell, true)] };
}

/** Centre of an H3 cell. */
export function cellCentre(cell: string): LatLon {
  const [lat, lon] = cellToLatLng(cell);
  return { lat, lon };
}

/** Great-circle distance in metres (h3-js haversine, mean Earth radius). */
export function distanceM(a: LatLon, b: LatLon): number {
  return greatCircleDistance([a.lat, a.lon], [b.lat, b.lon], H3_UNITS.m);
}

/** Initial great-circle bearing from `a` to `b`, degrees clockwise from true north in [0, 360). */
export function bearingDeg(a: LatLon, b: LatLon): number {
  const rad = Math.PI / 180;
  const φ1 = a.lat * rad;
  const φ2 = b.lat * rad;
  const Δλ = (b.lon - a.lon) * rad;
  const y = Math.sin(Δλ) * Math.cos(φ2);
  const x = Math.cos(φ1) * Math.sin(φ2) - Math.sin(φ1) * Math.cos(φ2) * Math.cos(Δλ);
  return (((Math.atan2(y, x) / rad) % 360) + 360) % 360;
}

/** One wind observation: direction the wind blows from (degrees clockwise from north) and speed (m/s). */
export interface WindSample {
  readonly dirDeg: number;
  readonly speedMs: number;
}

/**
 * Wind over a window from one device.
 * - `dirDeg`: direction the wind comes from, the speed-weighted vector mean of the samples (the
 *   usual resultant wind direction of meteorology); null when calm or when the vectors cancel.
 * - `speedMs`: arithmetic mean of the speeds; `steadiness`: |resultant| / mean speed, in [0, 1].
 */
export interface WindSummary {
  readonly deviceId: string;
  readonly distanceM: number;
  readonly dirDeg: number | null;
  readonly speedMs: number;
  readonly steadiness: number;
  readonly samples: number;
}

/**
 * Summarises one device's wind samples over a window (see {@link WindSummary}).
 * @param calmWindMs below this mean speed the direction is reported as null
 */
export function summariseWind(deviceId: string, dist: number, samples: readonly WindSample[], calmWindMs: number): WindSummary | null {
  if (samples.length === 0) return null;
  const rad = Math.PI / 180;
  let u = 0;
  let v = 0;
  let speed = 0;
  for (const s of samples) {
    u += s.speedMs * Math.sin(s.dirDeg * rad);
    v += s.speedMs * Math.cos(s.dirDeg * rad);
    speed += s.speedMs;
  }
  const mean = speed / samples.length;
  const resultant = Math.hypot(u, v) / samples.length;
  const steadiness = mean > 0 ? resultant / mean : 0;
  const dirDeg = mean < calmWindMs || resultant === 0 ? null : (((Math.atan2(u, v) / rad) % 360) + 360) % 360;
  return { deviceId, distanceM: dist, dirDeg, speedMs: mean, steadiness, samples: samples.length };
}

/** A registered candidate source (a row of `facilities`). */
export interface Facility {
  readonly id: string;
  readonly category: string;
  readonly name: string;
  readonly lat: number;
  readonly lon: number;
  readonly fumeDeviceIds: readonly string[];
}

/**
 * A facility ranked as a candidate source of a hotspot.
 * - `bearingDeg`: from the cell centre to the facility; `alignment`: cos of the angle between that
 *   bearing and the direction the wind comes from (1 = exactly upwind, −1 = exactly downwind), null without wind;
 * - `score` in (0, 1]: proximity × wind factor, see {@link rankCandidates}.
 */
export interface Candidate extends Facility {
  readonly distanceM: number;
  readonly bearingDeg: number;
  readonly alignment: number | null;
  readonly inCell: boolean;
  readonly score: number;
}

/**
 * Ranks candidate sources of a hotspot cell (DOMAIN.md §6: facilities in the cell and in neighbours
 * upwind of it, by distance and by how well the wind direction lines up).
 *
 * - considered: facilities in the cell, and in the cells of `gridDisk(cell, candidateRing)` that are not
 *   downwind (alignment ≥ 0) when the wind direction is known, all of them otherwise;
 * - proximity p = 1 / (1 + d / L), d the distance from the cell centre and L the mean edge length at
 *   the grid resolution (h3 `getHexagonEdgeLengthAvg`): 1 at the centre, ½ one edge away;
 * - wind factor f = (1 + alignment) / 2 with a known direction, ½ without (calm or no wind device);
 * - score = p × (½ + ½ f): an exactly upwind facility keeps p, a crosswind one ¾ p, one without
 *   wind information ¾ p, a downwind one inside the cell ½ p;
 * - order: score descending, then distance, then id (deterministic).
 */
export function rankCandidates(
  cell: string,
  facilities: readonly Facility[],
  wind: Pick<WindSummary, 'dirDeg'> | null,
  s: Pick<TraceSettings, 'candidateRing'>,
): Candidate[] {
  const res = getResolution(cell);
  const centre = cellCentre(cell);
  const edge = getHexagonEdgeLengthAvg(res, H3_UNITS.m);
  const area = new Set(gridDisk(cell, s.candidateRing));
  const dir = wind?.dirDeg ?? null;
  const out: Candidate[] = [];
  for (const f of facilities) {
    const fCell = cellToParent(latLngCell(f), res);
    if (!area.has(fCell)) continue;
    const inCell = fCell === cell;
    const d = distanceM(centre, f);
    const b = bearingDeg(centre, f);
    const alignment = dir === null ? null : Math.cos(((b - dir) * Math.PI) / 180);
    if (!inCell && alignment !== null && alignment < 0) continue;
    const proximity = 1 / (1 + d / edge);
    const windFactor = alignment === null ? 0.5 : (1 + alignment) / 2;
    out.push({ ...f, distanceM: d, bearingDeg: b, alignment, inCell, score: proximity * (0.5 + 0.5 * windFactor) });
  }
  return out.sort((a, b) => b.score - a.score || a.distanceM - b.distanceM || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

// Resolution 15 is finer than any grid resolution, so its parent at the grid resolution is exact.
function latLngCell(p: LatLon): string {
  return latLngToCell(p.lat, p.lon, 15);
}

/** A street office's area (a row of `jurisdictions`). */
export interface Jurisdiction {
  readonly id: string;
  readonly name: string;
  readonly geometry: Polygon | MultiPolygon;
}

/**
 * The jurisdiction responsible for a point: the first (by id) whose polygon contains it, boundary
 * included (@turf/boolean-point-in-polygon). @returns undefined when no polygon contains the point
 */
export function findJurisdiction<J extends Jurisdiction>(p: LatLon, jurisdictions: readonly J[]): J | undefined {
  const sorted = [...jurisdictions].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return sorted.find((j) => booleanPointInPolygon([p.lon, p.lat], j.geometry));
}
