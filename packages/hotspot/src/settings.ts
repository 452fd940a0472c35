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
  /**
   * Optional ratio gate: the relative test also needs the cell median ≥ ratio × district baseline
   * (default 1: no gate; the minimum excess in concentration units replaces it, docs/hotspots.md)…
   */
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
  /**
   * Minimum excess: every test needs an excess ≥ this × the cell's instrument uncertainty (σ of its
   * noisiest device for the metric, registry `devices.uncertainty`; else {@link MethodSettings.uncertainty}).
   * Default 1: never a task on an excess below the stated uncertainty (issue 10).
   */
  readonly minExcessFactor: number;
  /**
   * Per-metric uncertainty (σ, canonical unit) for devices that state none: the sensor-class figures of
   * DOMAIN.md §2/§8 as the simulator uses them, and one rounding step of the stations' published data
   * for the criteria pollutants (docs/hotspots.md lists the sources).
   */
  readonly uncertainty: Readonly<Record<string, number>>;
  /** Also test the cell's p90 against the district's p90s (an intermittent source on for part of the window; default true). */
  readonly upperQuantile: boolean;
  /**
   * Also test the cell's mean against the district's means (default true): a meandering plume close to
   * its sensor arrives in spikes, over less than a tenth of the window, which the median and the p90
   * do not see and the mean does (docs/hotspots.md).
   */
  readonly meanTest: boolean;
  /** Temporal baseline: the cell's own residuals at the same hour of day over the last this many days (default 21)… */
  readonly temporalDays: number;
  /** …when at least this many such days exist (default 7); otherwise… */
  readonly temporalMinDays: number;
  /** …its residuals over the last this many windows of any hour (default 24)… */
  readonly temporalWindows: number;
  /** …when at least this many exist (default 6); with fewer the temporal test is unknown (passes, with lower confidence). */
  readonly temporalMinWindows: number;
  /** Regional guard: a window is regional when at least this fraction of eligible cells rose by the minimum excess over their own history (default 0.5)… */
  readonly regionalFraction: number;
  /** …out of at least this many eligible cells with history (default 5). */
  readonly regionalMinCells: number;
  /** Sensor suspect: a cell that stands out from the district in ≥ suspectHigh of the last suspectWindows windows (default 20 of 24)… */
  readonly suspectHigh: number;
  readonly suspectWindows: number;
  /**
   * Level-shift test (docs/hotspots.md): a fixed-sensor cell's excess counts as a plume only when the
   * within-window dispersion of its readings (pooled over its devices, about each device's linear trend)
   * rose over its usual dispersion by at least this × the excess; otherwise the whole distribution
   * moved — a calibration step or drift, not a plume, which fluctuates as it meanders — and the cell
   * raises a check-sensor task instead of an enforcement task. Default 0.25 (ours: a quarter of the
   * fluctuation intensity σc/C̄ ≈ 1 measured near sources, Mylne & Mason 1991, Q. J. R. Meteorol. Soc.
   * 117:177–206; a van pass that confirms the excess overrides it). 0 turns the test off.
   */
  readonly plumeFluctuation: number;
  /**
   * The level-shift test runs only where the readings resolve a plume's fluctuations: a mean spacing of
   * each device's readings in the window (window / (fixed readings / devices)) ≤ this, s (default 300:
   * the meander's Lagrangian time scale, of the order Hanna 1981 gives, J. Appl. Meteorol. 20:242–249;
   * hourly averages, such as the stations' published data, have averaged the fluctuations out).
   */
  readonly plumeMaxSpacingS: number;
}

/** Settings of the trace-to-source step (candidate sources, wind, jurisdiction). */
export interface TraceSettings {
  /** Wind is taken from the nearest device reporting `wind_dir` within this distance of the cell centre, km (default 5). */
  readonly windMaxKm: number;
  /** Below this mean wind speed (m/s) the direction is treated as unknown (calm; default 0.5, the Beaufort 0/1 boundary). */
  readonly calmWindMs: number;
  /** Candidate facilities are searched in the cell and its H3 ring up to this distance (default 1). */
  readonly candidateRing: number;
  /** Plume consistency uses the wind over the window and this many hours before it (default 3: the air measured left its source up to ~10 km upwind at 1 m/s). */
  readonly traceHours: number;
  /** Angular spread of a plume, degrees (default 30; `@voc/hotspot` candidates.ts gives its source). */
  readonly plumeSpreadDeg: number;
  /** Distance scale of the candidate distance score, m (default 250). */
  readonly distanceScaleM: number;
}

/** Defaults of {@link MethodSettings} (DOMAIN.md §6), for tests and tools that run without config. */
export const DEFAULT_METHOD_SETTINGS: MethodSettings = Object.freeze({
  resolution: 8,
  windowMinutes: 60,
  minReadings: 6,
  minVanPassReadings: 10,
  ratio: 1,
  robustZ: 3,
  vanMaxSpeedKmh: 30,
  vanPassGapSeconds: 60,
  openK: 2,
  openN: 3,
  clearN: 3,
  thresholds: Object.freeze({}),
  minExcessFactor: 1,
  uncertainty: Object.freeze({
    tvoc: 5,
    voc_index: 3,
    benzene: 0.3,
    toluene: 0.3,
    xylene: 0.3,
    nmhc: 10,
    pm25: 5,
    pm10: 8,
    so2: 3,
    no2: 3,
    o3: 3,
    co: 0.1,
  }),
  upperQuantile: true,
  meanTest: true,
  temporalDays: 21,
  temporalMinDays: 7,
  temporalWindows: 24,
  temporalMinWindows: 6,
  regionalFraction: 0.5,
  regionalMinCells: 5,
  suspectHigh: 20,
  suspectWindows: 24,
  plumeFluctuation: 0.25,
  plumeMaxSpacingS: 300,
});

/** Defaults of {@link TraceSettings}. */
export const DEFAULT_TRACE_SETTINGS: TraceSettings = Object.freeze({
  windMaxKm: 5,
  calmWindMs: 0.5,
  candidateRing: 1,
  traceHours: 3,
  plumeSpreadDeg: 30,
  distanceScaleM: 250,
});
