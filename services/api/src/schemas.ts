import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { DEVICE_KINDS } from '@voc/domain';
import { problemSchema } from './problem.js';

/**
 * Request and response pieces shared by the routes. Query values arrive as strings: numbers are
 * coerced, lists are comma-separated. Identifiers are restricted to the characters they can hold, so
 * an injection or traversal attempt is a precise 400 before any query runs.
 */

/** ISO 8601 date-time with a zone (OpenAQ's `datetime_from`/`datetime_to`). */
export const isoTime = z.iso
  .datetime({ offset: true, error: 'is not an ISO 8601 date-time with a zone ("Z" or "+08:00"; a local time is ambiguous)' })
  .refine((s) => {
    const t = Date.parse(s);
    const off = /([+-])(\d{2}):?(\d{2})$/.exec(s);
    // Years 1900..9999 and real-world zone offsets (at most ±14:00, UTC+14 in Kiribati): PostgreSQL refuses offsets past ±15:59.
    return (
      Number.isFinite(t) &&
      t >= Date.UTC(1900, 0, 1) &&
      t < Date.UTC(10000, 0, 1) &&
      (!off || Number(off[2]) * 60 + Number(off[3]) <= 14 * 60)
    );
  }, 'is outside years 1900..9999 or has a zone offset beyond ±14:00')
  .describe('ISO 8601 date-time with zone, e.g. 2026-11-01T00:00:00Z');
/** Device ids: the registry's id alphabet. */
export const deviceId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'is not a device id (letters, digits, _ . : -, at most 64)');
/** Metric ids of the catalogue (checked against it by the use-cases). */
export const metricId = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'is not a metric id (lower-case letters, digits, _)');
/** H3 cell index, 15 hex digits. */
export const h3Cell = z.string().regex(/^8[0-9a-f]{14}$/, 'is not an H3 cell index (15 hex digits)');
/** Street office ids. */
export const officeId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not a street office id');
/** Opaque cursor. */
export const cursor = z.string().regex(/^[A-Za-z0-9_-]{1,512}$/, 'is not a cursor this API handed out');
/** A positive id. */
export const idParam = z.object({ id: z.coerce.number<string>().int().positive().max(Number.MAX_SAFE_INTEGER) });

/** `limit` with the cap in the message. */
export const limit = (def: number, max: number) =>
  z.coerce
    .number<string>()
    .int()
    .min(1)
    .max(max, `at most ${max} rows per page`)
    .default(def)
    .describe(`rows per page, 1..${max} (default ${def})`);

/** Comma-separated list of enum values. */
export function csvEnum<T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()))
    .pipe(z.array(z.enum(values, { error: `is not a ${what} (${values.join(', ')})` })).min(1))
    .describe(`comma-separated, of ${values.join(', ')}`);
}

/** `bbox=minLon,minLat,maxLon,maxLat` (OpenAQ v3). */
export const bbox = z
  .string()
  .transform((s) => s.split(',').map(Number))
  .pipe(
    z
      .tuple([z.number().min(-180).max(180), z.number().min(-90).max(90), z.number().min(-180).max(180), z.number().min(-90).max(90)])
      .refine((b) => b[0] <= b[2] && b[1] <= b[3], 'min must not exceed max'),
  )
  .describe('minLon,minLat,maxLon,maxLat (WGS-84)');

/** `coordinates=lat,lon` (OpenAQ v3), used with `radius`. */
export const coordinates = z
  .string()
  .transform((s) => s.split(',').map(Number))
  .pipe(z.tuple([z.number().min(-90).max(90), z.number().min(-180).max(180)]))
  .describe('lat,lon (WGS-84), with radius');

/** `kind=fixed,van`. */
export const deviceKinds = csvEnum(DEVICE_KINDS, 'device kind');

/** `{meta, results}` envelope (OpenAQ v3). */
export function envelope<T extends z.ZodType>(item: T, meta: z.ZodRawShape = {}) {
  return z.object({
    meta: z.object({ found: z.number().int(), limit: z.number().int().optional(), next: z.string().nullable().optional(), ...meta }),
    results: z.array(item),
  });
}

/** Problem responses every authenticated route may give. */
export const problems = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  429: problemSchema,
};

/** Security requirement of an authenticated route in the OpenAPI document. */
export const secured: { [k: string]: string[] }[] = [{ bearer: [] }, { apiKey: [] }];

/**
 * Sends a body that is already final (a JSON string built from typed rows, a stream), bypassing the
 * zod serializer: for large lists it would re-validate every row. The route's response schema still
 * documents the shape in the OpenAPI document.
 */
export function sendRaw(reply: unknown, body: unknown, type = 'application/json'): FastifyReply {
  const r = reply as FastifyReply;
  r.type(type);
  return r.send(typeof body === 'string' || body instanceof Readable ? body : JSON.stringify(body));
}

/**
 * Sends one keyset page: `rows` were fetched with `limit + 1` (newest first by numeric id), so a row
 * beyond `limit` means there is a next page, whose cursor (`meta.next`) is the last sent row's id.
 */
export function sendIdPage(reply: unknown, rows: readonly object[], limit: number): FastifyReply {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1] as { readonly id?: unknown } | undefined;
  return sendRaw(reply, {
    meta: { found: page.length, limit, next: rows.length > limit && last ? String(last.id) : null },
    results: page,
  });
}

/** A loosely typed record (task details, evidence): documented as an object. */
export const looseRecord = z.record(z.string(), z.unknown());
