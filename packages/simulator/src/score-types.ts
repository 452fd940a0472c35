/**
 * Plain inputs of the detection scoring: what the system produced over a scenario, as the benchmark
 * reads it back from the database (hotspots, tasks, regional events). Times are epoch ms; cells are h3-js
 * hex strings at the grid resolution (any resolution: sources are compared at the cell's own resolution).
 */

/** A candidate source of a hotspot, as ranked by trace-to-source (rank 1 = best). */
export interface ScoredCandidate {
  readonly rank: number;
  /** Registry id of the facility (the simulated `sim-fac-…` ids); null when the candidate is not a registered facility. */
  readonly facilityId: string | null;
  readonly lat: number;
  readonly lon: number;
}

/** A hotspot the system opened. `window`: the window it opened in ([start, end)). */
export interface ScoredHotspot {
  readonly id: string;
  readonly metric: string;
  readonly cell: string;
  readonly window: { readonly start: number; readonly end: number };
  /** When the system recorded the opening (wall or replay clock); default the opening window's end. */
  readonly openedAt?: number;
  /** Ranked candidates (may be empty). */
  readonly candidates: readonly ScoredCandidate[];
}

/**
 * Kinds of task: `enforcement` (trace-to-source, a team goes on site) or an operations task for the
 * network operators (`check_sensor`, or any other `operations` task).
 */
export type TaskKind = 'enforcement' | 'check_sensor' | 'operations';

/** A task the system opened. */
export interface ScoredTask {
  readonly id: string;
  readonly kind: TaskKind;
  readonly metric: string;
  readonly cell: string;
  /** The window the task opened in. */
  readonly window: { readonly start: number; readonly end: number };
  readonly openedAt?: number;
  /** The hotspot the task came from (its candidates count for the task). */
  readonly hotspotId?: string;
  /** Devices the task names (a check-sensor task names the suspect sensors). */
  readonly deviceIds?: readonly string[];
  /** Candidates of the task when not taken from its hotspot. */
  readonly candidates?: readonly ScoredCandidate[];
  /** The excess over the baseline that opened it and the instrument uncertainty it was judged against, canonical unit. */
  readonly excess?: number;
  readonly uncertainty?: number;
}

/** A regional event the system recorded (a district-wide rise: no per-cell enforcement tasks). */
export interface ScoredRegionalEvent {
  readonly metric: string;
  readonly start: number;
  readonly end: number;
}

/** Everything the system produced over a scenario. */
export interface SystemOutputs {
  readonly hotspots: readonly ScoredHotspot[];
  readonly tasks: readonly ScoredTask[];
  readonly regionalEvents: readonly ScoredRegionalEvent[];
}

/** Options of the scoring. Defaults follow issue 10. */
export interface ScoreOptions {
  /** A hotspot in the source's cell or within this H3 ring distance of it counts (default 1: a neighbour). */
  readonly ring?: number;
  /** …when it opens within this many windows of the start of one of the source's on-periods (default 2). */
  readonly withinWindows?: number;
  /** Window length, minutes (default the truth's). */
  readonly windowMinutes?: number;
  /** An enforcement task is explained by a source on during its window or this many windows before it (default 2). */
  readonly lookbackWindows?: number;
  /** Cells the false-task rate is per (default: cells with a fixed sensor, else the street cells vans cover). */
  readonly monitoredCells?: number;
}
