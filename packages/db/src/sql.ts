import type { SeriesKey } from '@voc/domain';
import { bigintToH3, h3ToBigint } from './h3.js';
import type { Client, Pool } from './pool.js';

/** Something that runs SQL: a pool or a client inside a transaction (pg satisfies it). */
export type Queryable = Pick<Pool, 'query'> | Pick<Client, 'query'>;

/** The series condition of the hotspot tables: `$1` metric, `$2` resolution, `$3` window minutes. */
export const SERIES = `metric = $1 and resolution = $2 and window_minutes = $3`;
/** Parameters `$1..$3` of {@link SERIES}. */
export const seriesParams = (s: SeriesKey): unknown[] => [s.metric, s.resolution, s.windowMinutes];
/** Epoch ms → ISO 8601 parameter. */
export const ts = (ms: number): string => new Date(ms).toISOString();
/** timestamptz column → epoch ms (null stays null). */
export const ms = (d: Date | string | null): number | null => (d === null ? null : new Date(d).getTime());
/** int8 H3 column (read as text) → H3 index string. */
export const cellHex = (v: string): string => bigintToH3(v);
/** H3 index string → int8 parameter. */
export const cellInt = (hex: string): string => h3ToBigint(hex);
