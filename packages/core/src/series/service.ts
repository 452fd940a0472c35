import { ERROR_CODES, VocError } from '@voc/domain';
import type { BucketRow, FeedPosition, FeedRow, ReadingRow, SeriesStore } from './ports.js';
import { unitView, type UnitView } from './units.js';

/** Limits every series use-case enforces (`config.api`). */
export interface SeriesLimits {
  readonly maxPage: number;
  readonly maxRangeDays: number;
  readonly maxBuckets: number;
}

const DAY_MS = 86_400_000;
const bad = (detail: string) => new VocError(ERROR_CODES.invalid_request, detail);
const over = (detail: string) => new VocError(ERROR_CODES.limit_exceeded, detail);

/**
 * Checks a time range: both ISO 8601, from before to, at most `maxDays` long.
 * @returns the range as ISO strings and epoch ms
 * @throws VocError `VOC_ERR_INVALID_REQUEST` or `VOC_ERR_LIMIT_EXCEEDED` naming `datetime_from`/`datetime_to`
 */
export function checkRange(from: string, to: string, maxDays: number): { from: string; to: string; fromMs: number; toMs: number } {
  const a = Date.parse(from);
  const b = Date.parse(to);
  if (!Number.isFinite(a)) throw bad(`datetime_from: "${from}" is not an ISO 8601 time`);
  if (!Number.isFinite(b)) throw bad(`datetime_to: "${to}" is not an ISO 8601 time`);
  if (b <= a) throw bad(`datetime_to: ${to} is not after datetime_from ${from}`);
  if (b - a > maxDays * DAY_MS)
    throw over(`datetime_to: the range ${from} .. ${to} is ${((b - a) / DAY_MS).toFixed(1)} days; at most ${maxDays} days per request`);
  return { from: new Date(a).toISOString(), to: new Date(b).toISOString(), fromMs: a, toMs: b };
}

/**
 * Checks a page size against the cap.
 * @throws VocError `VOC_ERR_LIMIT_EXCEEDED` naming `limit`
 */
export function checkLimit(limit: number, max: number): number {
  if (limit > max) throw over(`limit: ${limit} rows asked for; at most ${max} per page`);
  return limit;
}

/** Opaque cursor text (base64url JSON), so clients never build one. */
export function encodeCursor(v: unknown): string {
  return Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
}

/**
 * Reads a cursor made by {@link encodeCursor} and checks its shape.
 * @throws VocError `VOC_ERR_INVALID_REQUEST` naming `param`
 */
export function decodeCursor<T>(text: string, check: (v: unknown) => v is T, param = 'cursor'): T {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad(`${param}: not a cursor this API handed out`);
  }
  if (!check(v)) throw bad(`${param}: not a cursor this API handed out`);
  return v;
}

const isRawCursor = (v: unknown): v is { t: string; m: string } =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { t?: unknown }).t === 'string' &&
  Number.isFinite(Date.parse((v as { t: string }).t)) &&
  typeof (v as { m?: unknown }).m === 'string';
const isFeedCursor = (v: unknown): v is { x: string; s: string } =>
  typeof v === 'object' &&
  v !== null &&
  /^\d{1,20}$/.test(String((v as { x?: unknown }).x)) &&
  /^\d{1,19}$/.test(String((v as { s?: unknown }).s));

/** A reading as shown: scaled to the asked unit, with the unit and reference state beside the value. */
export function showReading(r: ReadingRow, view: UnitView | undefined): ReadingRow {
  if (!view || view.factor === 1) return r;
  return { ...r, value: r.value * view.factor, unit: view.unit };
}

/**
 * A page of raw readings of one device in [from, to), oldest first, keyset-paginated on (time, metric):
 * a page never skips or repeats a row whatever is inserted meanwhile.
 * @returns the rows and the cursor of the next page (null on the last page)
 */
export async function rawReadings(
  store: SeriesStore,
  q: { deviceId: string; metric?: string; from: string; to: string; limit: number; cursor?: string; unit?: string },
  limits: SeriesLimits,
): Promise<{ rows: ReadingRow[]; next: string | null; view?: UnitView }> {
  const range = checkRange(q.from, q.to, limits.maxRangeDays);
  const limit = checkLimit(q.limit, limits.maxPage);
  if (q.unit !== undefined && q.metric === undefined) throw bad('unit: a unit can only be asked for together with metric');
  const view = q.metric !== undefined ? unitView(q.metric, q.unit) : undefined;
  const after = q.cursor ? decodeCursor(q.cursor, isRawCursor) : undefined;
  const rows = await store.raw({
    deviceId: q.deviceId,
    metric: q.metric,
    from: range.from,
    to: range.to,
    limit: limit + 1,
    after: after ? { time: after.t, metric: after.m } : undefined,
  });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const next = rows.length > limit && last ? encodeCursor({ t: last.time, m: last.metric }) : null;
  return { rows: page.map((r) => showReading(r, view)), next, view };
}

/**
 * A page of the storage-order feed: every reading exactly once in the order it became visible, late
 * data included; resume with the returned cursor (it is also valid when the page was empty).
 */
export async function readingFeed(
  store: SeriesStore,
  q: { storedAfter?: string; limit: number },
  limits: SeriesLimits,
): Promise<{ rows: FeedRow[]; next: string | null }> {
  const limit = checkLimit(q.limit, limits.maxPage);
  const after = q.storedAfter ? decodeCursor(q.storedAfter, isFeedCursor, 'stored_after') : undefined;
  const pos: FeedPosition | undefined = after ? { xid: after.x, seq: after.s } : undefined;
  const rows = await store.feed(pos, limit);
  const last = rows[rows.length - 1]?.position ?? pos;
  return { rows, next: last ? encodeCursor({ x: last.xid, s: last.seq }) : null };
}

/** A bucket with its coverage (expected vs present readings) and its values in the shown unit. */
export interface ShownBucket extends BucketRow {
  readonly bucketEnd: string;
  readonly expected: number | null;
  /** present / expected, at most 1; null when the device's cadence is unknown. */
  readonly coverage: number | null;
}

/**
 * Bucketed statistics (avg, min, max, count, p90) of a device or cell over [from, to), any width of
 * at least one minute, each with its coverage: expected readings = width / the device's cadence (the
 * mean spacing of its readings in the range; null for a cell, whose devices come and go).
 * @throws VocError `VOC_ERR_LIMIT_EXCEEDED` naming `bucket` when the range holds more than `maxBuckets`
 */
export async function bucketSeries(
  store: SeriesStore,
  q: { deviceId?: string; cell?: string; metric: string; from: string; to: string; widthMinutes: number; unit?: string },
  limits: SeriesLimits & { maxAggregateDays: number },
): Promise<{ rows: ShownBucket[]; view: UnitView; source: 'raw' | 'continuous_aggregate'; cadenceS: number | null }> {
  const view = unitView(q.metric, q.unit);
  const range = checkRange(q.from, q.to, limits.maxAggregateDays);
  if (!Number.isInteger(q.widthMinutes) || q.widthMinutes < 1) throw bad(`bucket: ${q.widthMinutes} is not a whole number of minutes ≥ 1`);
  const n = Math.ceil((range.toMs - range.fromMs) / (q.widthMinutes * 60_000));
  if (n > limits.maxBuckets)
    throw over(`bucket: ${n} buckets of ${q.widthMinutes} min in the range; at most ${limits.maxBuckets} per request`);
  const { rows, source, cadenceS } = await store.buckets({ ...q, from: range.from, to: range.to });
  const expected = cadenceS ? Math.max(1, Math.round((q.widthMinutes * 60) / cadenceS)) : null;
  const f = view.factor;
  return {
    view,
    source,
    cadenceS,
    rows: rows.map((b) => ({
      bucket: b.bucket,
      bucketEnd: new Date(Date.parse(b.bucket) + q.widthMinutes * 60_000).toISOString(),
      count: b.count,
      avg: b.avg * f,
      min: b.min * f,
      max: b.max * f,
      p90: b.p90 === null ? null : b.p90 * f,
      expected,
      coverage: expected ? Math.min(1, b.count / expected) : null,
    })),
  };
}
