/** A hotspot as reports list it, with the statistics of the window it opened in. Times ISO 8601 UTC. */
export interface HotspotListing {
  readonly id: number;
  readonly metric: string;
  readonly resolution: number;
  readonly windowMinutes: number;
  readonly cell: string;
  readonly openedWindow: string;
  readonly clearedWindow: string | null;
  readonly state: string;
  readonly taskId: number | null;
  readonly n: number | null;
  readonly devices: number | null;
  readonly vanPasses: number | null;
  readonly median: number | null;
  readonly baseline: number | null;
  readonly ratio: number | null;
  readonly robustZ: number | null;
  readonly giStar: number | null;
  readonly reasons: string[];
}

/** Per metric: windows evaluated, cell-windows seen, eligible and high-value. */
export interface SeriesSummary {
  readonly metric: string;
  readonly windows: number;
  readonly cellWindows: number;
  readonly eligible: number;
  readonly high: number;
}

/** Filter of the report queries: one grid, windows starting in [from, to). */
export interface ReportFilter {
  readonly from: number;
  readonly to: number;
  readonly resolution: number;
  readonly windowMinutes: number;
  readonly metrics?: readonly string[];
  readonly states?: readonly string[];
}

/** Read-only queries behind `voc hotspots backfill` / `voc hotspots list` (and the API's hotspot listing). */
export interface HotspotReport {
  /** Hotspots that opened in the range, in window, metric and cell order (deterministic). */
  hotspots(f: ReportFilter): Promise<HotspotListing[]>;
  /** Per metric of the range: evaluated windows and their cell counts. */
  summary(f: ReportFilter): Promise<SeriesSummary[]>;
}
