/**
 * Settings of the hotspot method (DOMAIN.md §6). Every number of the method is one of these; the
 * defaults live in `packages/config` (`config.hotspot`) and are documented in `docs/hotspots.md`.
 */
export interface MethodSettings {
  /** H3 grid resolution of the cells (7–10; default 8 ≈ 0.74 km², edge ≈ 0.46 km, h3geo.org resolution table). */
  readonly resolution: number;
  /** Window length in minutes (default 60). Windows are aligned to multiples of this length since the Unix epoch, UTC. */
  readonly windowMinutes: number;
  /** A cell is eligible with at least this many valid readings from fixed sensors in the window (default 6). */
  readonly minReadings: number;
  /** …or with at least this many usable readings from one van pass (default 10). */
  readonly minVanPassReadings: number;
  /** High-value when the cell median ≥ ratio × district baseline (default 1.5)… */
  readonly ratio: number;
  /** …and its robust z-score ≥ this (default 3). */
  readonly robustZ: number;
  /** Van readings count only at a speed ≤ this, km/h (default 30, DOMAIN.md §2), and with a GPS fix. */
  readonly vanMaxSpeedKmh: number;
  /** A gap longer than this (seconds) between two usable readings of one van in one cell starts a new pass (default 60). */
  readonly vanPassGapSeconds: number;
  /** Persistence: a hotspot opens when the cell is high-value in ≥ openK of the last openN windows (default 2 of 3)… */
  readonly openK: number;
  readonly openN: number;
  /** …and clears after clearN consecutive windows that are not high-value (default 3). */
  readonly clearN: number;
  /** Absolute thresholds on the cell mean per metric, canonical unit (`metric=value`; none by default). */
  readonly thresholds: Readonly<Record<string, number>>;
}

/** Settings of the trace-to-source step (candidate sources, wind, jurisdiction). */
export interface TraceSettings {
  /** Wind is taken from the nearest device reporting `wind_dir` within this distance of the cell centre, km (default 5). */
  readonly windMaxKm: number;
  /** Below this mean wind speed (m/s) the direction is treated as unknown (calm; default 0.5, the Beaufort 0/1 boundary). */
  readonly calmWindMs: number;
  /** Candidate facilities are searched in the cell and its H3 ring up to this distance (default 1). */
  readonly candidateRing: number;
}

/** Defaults of {@link MethodSettings} (DOMAIN.md §6), for tests and tools that run without config. */
export const DEFAULT_METHOD_SETTINGS: MethodSettings = Object.freeze({
  resolution: 8,
  windowMinutes: 60,
  minReadings: 6,
  minVanPassReadings: 10,
  ratio: 1.5,
  robustZ: 3,
  vanMaxSpeedKmh: 30,
  vanPassGapSeconds: 60,
  openK: 2,
  openN: 3,
  clearN: 3,
  thresholds: Object.freeze({}),
});

/** Defaults of {@link TraceSettings}. */
export const DEFAULT_TRACE_SETTINGS: TraceSettings = Object.freeze({ windMaxKm: 5, calmWindMs: 0.5, candidateRing: 1 });
