import type { Device } from '@voc/domain';

/**
 * Ports of the analysts' time series (the series repository of `@voc/db` implements
 * {@link SeriesStore}). Times are ISO 8601 UTC strings; values are in the metric's canonical unit
 * (the use-cases scale them when another unit is asked for).
 */

/** A geographic filter: a bounding box or a circle (WGS-84). */
export type GeoFilter =
  | { readonly bbox: readonly [minLon: number, minLat: number, maxLon: number, maxLat: number] }
  | { readonly lat: number; readonly lon: number; readonly radiusM: number };

/** Filter of {@link SeriesStore.devices}. */
export interface DeviceQuery {
  readonly kinds?: readonly Device['kind'][];
  readonly status?: Device['status'];
  /** Devices that stored at least one reading of this metric. */
  readonly metric?: string;
  readonly geo?: GeoFilter;
  /** Device ids (already resolved from a street office by the use-case), or undefined for all. */
  readonly ids?: readonly string[];
  readonly limit: number;
  /** Keyset: ids after this one. */
  readonly after?: string;
}

/** A device as listed, with the metrics it reported and its last reading time. */
export interface DeviceListing extends Device {
  readonly metrics: string[];
  readonly lastSeen: string | null;
}

/** One stored reading as the API returns it. */
export interface ReadingRow {
  readonly time: string;
  readonly deviceId: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly rawValue: number;
  readonly rawUnit: string;
  readonly refState: string;
  readonly qa: string;
  readonly lat: number | null;
  readonly lon: number | null;
  readonly storedAt: string;
}

/** Query of {@link SeriesStore.raw}: one device, optional metric, [from, to), keyset after (time, metric). */
export interface RawQuery {
  readonly deviceId: string;
  readonly metric?: string;
  readonly from: string;
  readonly to: string;
  readonly limit: number;
  readonly after?: { readonly time: string; readonly metric: string };
}

/** Position in the storage-order feed: inserting transaction and sequence (migrations/007_api.sql). */
export interface FeedPosition {
  readonly xid: string;
  readonly seq: string;
}

/** A feed row: a reading and its storage position. */
export interface FeedRow extends ReadingRow {
  readonly position: FeedPosition;
}

/** Query of {@link SeriesStore.buckets}: one device or one cell (H3 hex at its resolution), one metric. */
export interface BucketQuery {
  readonly deviceId?: string;
  readonly cell?: string;
  readonly metric: string;
  readonly from: string;
  readonly to: string;
  readonly widthMinutes: number;
}

/** One bucket of {@link SeriesStore.buckets}; p90 is null where the source has none (the hourly rollup). */
export interface BucketRow {
  readonly bucket: string;
  readonly count: number;
  readonly avg: number;
  readonly min: number;
  readonly max: number;
  readonly p90: number | null;
}

/** Latest value per device and metric. */
export interface LatestRow {
  readonly deviceId: string;
  readonly kind: Device['kind'];
  readonly metric: string;
  readonly time: string;
  readonly value: number;
  readonly unit: string;
  readonly refState: string;
  readonly lat: number | null;
  readonly lon: number | null;
}

/** Statistics of a cell in one evaluated window (table hotspot_cell_stats) with its hotspot state. */
export interface CellWindowRow {
  readonly cell: string;
  readonly windowStart: string;
  readonly n: number;
  readonly devices: number;
  readonly mean: number;
  readonly median: number;
  readonly p90: number;
  readonly max: number;
  readonly eligible: boolean;
  readonly high: boolean;
  readonly ratio: number | null;
  readonly robustZ: number | null;
  readonly giStar: number | null;
  /** `open` when the cell is a hotspot after this window (hotspot_cell_states), else `none`. */
  readonly hotspot: 'open' | 'none';
}

/** Storage of readings and cell statistics for the analysts' routes. */
export interface SeriesStore {
  devices(q: DeviceQuery): Promise<DeviceListing[]>;
  raw(q: RawQuery): Promise<ReadingRow[]>;
  /** Rows stored after `after` (or from the start) in storage order, only from finished transactions. */
  feed(after: FeedPosition | undefined, limit: number): Promise<FeedRow[]>;
  /**
   * Buckets aligned to the Unix epoch. `cadenceS`: mean spacing (s) of the readings in the range
   * ((last − first) / (count − 1)), null with fewer than two.
   */
  buckets(q: BucketQuery): Promise<{ rows: BucketRow[]; source: 'raw' | 'continuous_aggregate'; cadenceS: number | null }>;
  latest(q: { metric: string; deviceIds?: readonly string[]; since: string; limit: number }): Promise<LatestRow[]>;
  cellMap(q: { metric: string; resolution: number; windowMinutes: number; windowStart: string }): Promise<CellWindowRow[]>;
  cellSeries(q: {
    metric: string;
    resolution: number;
    windowMinutes: number;
    cell: string;
    from: string;
    to: string;
  }): Promise<CellWindowRow[]>;
  /** The newest window of a series with cell statistics at or before `before`, or null. */
  lastWindow(q: { metric: string; resolution: number; windowMinutes: number; before: string }): Promise<string | null>;
}
