import { cellToParent, getResolution, gridDisk, latLngToCell } from 'h3-js';
import { bearingDeg, cellCentre, distanceM, type Facility, type LatLon, type WindSample } from './trace.js';

/**
 * Trace to source, scored (docs/hotspots.md "Candidate sources"): each registered facility near a
 * hotspot gets a plume score (is it upwind of where the excess was measured, hour by hour over the
 * window and the hours before it), a distance score and a facility-type score for the metric; the
 * product ranks them, and every score is explained on the task.
 */

/** Settings of the candidate ranking. */
export interface CandidateSettings {
  /** Facilities are searched in the cell and its H3 ring up to this distance (default 1). */
  readonly candidateRing: number;
  /** Below this wind speed (m/s) a sample says nothing about direction (default 0.5, Beaufort 0/1). */
  readonly calmWindMs: number;
  /**
   * Angular spread of a plume, degrees (default 30): the score of a sample is exp(−δ²/2σ²), δ the angle
   * between the wind's origin and the facility's bearing from the receptor. 30° is of the order of
   * σy/x near the source in neutral to unstable urban air (Briggs 1973 urban: σy ≈ 0.32 x at 100 m,
   * atan 0.32 ≈ 18°, widened for hourly meander).
   */
  readonly plumeSpreadDeg: number;
  /** Distance scale of the distance score exp(−d/L), m (default 250: about half the cell edge at resolution 8). */
  readonly distanceScaleM: number;
}

/** Defaults of {@link CandidateSettings}. */
export const DEFAULT_CANDIDATE_SETTINGS: CandidateSettings = Object.freeze({
  candidateRing: 1,
  calmWindMs: 0.5,
  plumeSpreadDeg: 30,
  distanceScaleM: 250,
});

/**
 * Facility type against metric, in [0, 1] (issue 10: toluene/xylene → print shops and body shops; oil
 * fume and NMHC → restaurants; benzene → gas stations; PM10 → construction). 1 = a typical emitter of
 * the metric, lower = a possible one; a category absent from a metric's row scores {@link OTHER_TYPE_SCORE}.
 * Rows are ours from the emission profiles of DOMAIN.md §6 and the simulator's FACILITY_PROFILES.
 */
export const TYPE_SCORES: Readonly<Record<string, Readonly<Record<string, number>>>> = Object.freeze({
  toluene: { printer: 1, body_shop: 1, auto_repair: 0.7, fuel_station: 0.4 },
  xylene: { printer: 1, body_shop: 1, auto_repair: 0.7, fuel_station: 0.4 },
  benzene: { fuel_station: 1, auto_repair: 0.5, body_shop: 0.4 },
  nmhc: { restaurant: 1, fuel_station: 0.7, printer: 0.5, body_shop: 0.5, auto_repair: 0.5 },
  oil_fume: { restaurant: 1 },
  tvoc: { printer: 1, body_shop: 1, dry_cleaner: 1, restaurant: 0.8, fuel_station: 0.8, auto_repair: 0.7 },
  voc_index: { printer: 1, body_shop: 1, dry_cleaner: 1, restaurant: 0.8, fuel_station: 0.8, auto_repair: 0.7 },
  pm10: { construction_site: 1, restaurant: 0.4 },
  pm25: { construction_site: 0.8, restaurant: 0.8 },
});
/** Type score of a category a metric's row does not list (any facility may emit, rarely). */
export const OTHER_TYPE_SCORE = 0.2;

/** A ranked candidate with its scores and their explanation. Distances and bearings from the receptor. */
export interface ScoredCandidate extends Facility {
  readonly distanceM: number;
  readonly bearingDeg: number;
  readonly inCell: boolean;
  /** Share of wind samples (window and hours before) that carried air from the facility to the receptor; 0.5 without usable wind. */
  readonly plumeScore: number;
  readonly distanceScore: number;
  readonly typeScore: number;
  /** typeScore × distanceScore × (0.25 + 0.75 × plumeScore). */
  readonly score: number;
  readonly explanation: string;
}

const angle = (a: number, b: number): number => {
  const d = Math.abs(((((a - b) % 360) + 540) % 360) - 180);
  return d;
};

/**
 * Ranks the facilities of `gridDisk(cell, candidateRing)` as sources of an excess measured at `receptor`
 * (the position of the cell's highest reading; the cell centre without one) in `metric`, with the wind
 * samples of the window and the hours before it. Deterministic: ties by distance, then id.
 */
export function scoreCandidates(
  cell: string,
  facilities: readonly Facility[],
  metric: string,
  receptor: LatLon | null,
  wind: readonly WindSample[],
  s: CandidateSettings = DEFAULT_CANDIDATE_SETTINGS,
): ScoredCandidate[] {
  const res = getResolution(cell);
  const area = new Set(gridDisk(cell, s.candidateRing));
  const at = receptor ?? cellCentre(cell);
  const usable = wind.filter((w) => w.speedMs >= s.calmWindMs && Number.isFinite(w.dirDeg));
  const row = TYPE_SCORES[metric] ?? {};
  const out: ScoredCandidate[] = [];
  for (const f of facilities) {
    const fCell = cellToParent(latLngToCell(f.lat, f.lon, 15), res);
    if (!area.has(fCell)) continue;
    const d = distanceM(at, f);
    const b = bearingDeg(at, f);
    const plume = usable.length
      ? usable.reduce((a, w) => a + Math.exp(-(angle(b, w.dirDeg) ** 2) / (2 * s.plumeSpreadDeg ** 2)), 0) / usable.length
      : 0.5;
    // Within a few metres of the receptor the bearing means nothing: the facility is where it was measured.
    const plumeScore = d < 25 ? 1 : plume;
    const distanceScore = Math.exp(-d / s.distanceScaleM);
    const typeScore = row[f.category] ?? OTHER_TYPE_SCORE;
    const score = typeScore * distanceScore * (0.25 + 0.75 * plumeScore);
    const explanation =
      `${f.category} ${Math.round(d)} m from the highest reading at bearing ${Math.round(b)}°; ` +
      (usable.length
        ? `upwind in ${Math.round(plumeScore * 100)} % of ${usable.length} wind samples (plume ±${s.plumeSpreadDeg}°)`
        : 'no usable wind (calm or none): plume score 0.5') +
      `; type score ${typeScore} for ${metric}; distance score ${distanceScore.toFixed(2)} (e^-d/${s.distanceScaleM} m)`;
    out.push({
      ...f,
      distanceM: d,
      bearingDeg: b,
      inCell: fCell === cell,
      plumeScore,
      distanceScore,
      typeScore,
      score,
      explanation,
    });
  }
  return out.sort((a, b) => b.score - a.score || a.distanceM - b.distanceM || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
