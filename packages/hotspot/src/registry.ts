import { parse } from 'csv-parse/sync';
import type { MultiPolygon, Polygon } from 'geojson';
import { z } from 'zod';
import { ERROR_CODES, VocError, formatIssues } from '@voc/domain';

/** Categories of candidate sources (DOMAIN.md §6); `other` for anything else. */
export const FACILITY_CATEGORIES = [
  'restaurant',
  'auto_repair',
  'body_shop',
  'printer',
  'dry_cleaner',
  'fuel_station',
  'construction_site',
  'other',
] as const;
/** One of {@link FACILITY_CATEGORIES}. */
export type FacilityCategory = (typeof FACILITY_CATEGORIES)[number];

const idSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'id: 1-64 letters, digits, "_", "-" or "."');

/**
 * A facility to register: WGS-84 position (DOMAIN.md §7), category, name, and the device ids of the
 * fume monitors it has (restaurants), if any.
 */
export const facilityInputSchema = z
  .object({
    id: idSchema,
    category: z.enum(FACILITY_CATEGORIES),
    name: z.string().min(1).max(300),
    lat: z.coerce.number().min(-90).max(90),
    lon: z.coerce.number().min(-180).max(180),
    fumeDeviceIds: z.array(z.string().min(1).max(64)).default([]),
    address: z.string().max(500).optional(),
  })
  .strict();
/** Parsed {@link facilityInputSchema}. */
export type FacilityInput = z.infer<typeof facilityInputSchema>;

function invalid(where: string, err: z.ZodError): VocError {
  return new VocError(ERROR_CODES.invalid_request, `${where}: ${formatIssues(err.issues, { root: 'row' })}`);
}

function splitIds(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String).filter(Boolean);
  if (typeof v !== 'string') return [];
  return v
    .split(/[;|\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Parses facilities from CSV text: header `id,category,name,lat,lon[,fume_device_ids][,address]`;
 * `fume_device_ids` separated by `;` or `|`; lines starting with `#` are comments.
 * @throws VocError invalid_request naming the line of the first bad row
 */
export function parseFacilitiesCsv(text: string): FacilityInput[] {
  const rows = parse<Record<string, string>>(text, { columns: true, comment: '#', skip_empty_lines: true, trim: true, bom: true });
  return rows.map((r, i) => {
    const parsed = facilityInputSchema.safeParse({
      id: r.id,
      category: r.category,
      name: r.name,
      lat: r.lat,
      lon: r.lon,
      fumeDeviceIds: splitIds(r.fume_device_ids),
      ...(r.address ? { address: r.address } : {}),
    });
    if (!parsed.success) throw invalid(`facilities CSV row ${i + 1}`, parsed.error);
    return parsed.data;
  });
}

/**
 * Parses facilities from a GeoJSON FeatureCollection of Points (`[lon, lat]`) whose properties hold
 * `id`, `category`, `name`, and optionally `fume_device_ids` (array or `;`-separated) and `address`.
 * @throws VocError invalid_request
 */
export function parseFacilitiesGeoJson(text: string): FacilityInput[] {
  const doc = JSON.parse(text) as { type?: string; features?: unknown[] };
  if (doc.type !== 'FeatureCollection' || !Array.isArray(doc.features))
    throw new VocError(ERROR_CODES.invalid_request, 'facilities GeoJSON must be a FeatureCollection');
  return doc.features.map((f, i) => {
    const feat = f as { geometry?: { type?: string; coordinates?: unknown }; properties?: Record<string, unknown> };
    const coords: unknown = feat.geometry?.coordinates;
    if (feat.geometry?.type !== 'Point' || !Array.isArray(coords))
      throw new VocError(ERROR_CODES.invalid_request, `facilities GeoJSON feature ${i + 1}: geometry must be a Point`);
    const p = feat.properties ?? {};
    const parsed = facilityInputSchema.safeParse({
      id: p.id,
      category: p.category,
      name: p.name,
      lon: (coords as unknown[])[0],
      lat: (coords as unknown[])[1],
      fumeDeviceIds: splitIds(p.fume_device_ids ?? p.fumeDeviceIds),
      ...(typeof p.address === 'string' ? { address: p.address } : {}),
    });
    if (!parsed.success) throw invalid(`facilities GeoJSON feature ${i + 1}`, parsed.error);
    return parsed.data;
  });
}

const position = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]).rest(z.number());
const ring = z.array(position).min(4);
const polygonSchema = z.object({ type: z.literal('Polygon'), coordinates: z.array(ring).min(1) });
const multiPolygonSchema = z.object({ type: z.literal('MultiPolygon'), coordinates: z.array(z.array(ring).min(1)).min(1) });

/** A street office's area to register: id, name and a GeoJSON Polygon or MultiPolygon (WGS-84, `[lon, lat]`). */
export interface JurisdictionInput {
  readonly id: string;
  readonly name: string;
  readonly geometry: Polygon | MultiPolygon;
  readonly properties: Record<string, unknown>;
}

/**
 * Parses street-office areas from a GeoJSON FeatureCollection of Polygons/MultiPolygons whose
 * properties hold `id` and `name` (other properties are kept).
 * @throws VocError invalid_request
 */
export function parseJurisdictionsGeoJson(text: string): JurisdictionInput[] {
  const doc = JSON.parse(text) as { type?: string; features?: unknown[] };
  if (doc.type !== 'FeatureCollection' || !Array.isArray(doc.features))
    throw new VocError(ERROR_CODES.invalid_request, 'jurisdictions GeoJSON must be a FeatureCollection');
  return doc.features.map((f, i) => {
    const feat = f as { geometry?: unknown; properties?: Record<string, unknown> };
    const where = `jurisdictions GeoJSON feature ${i + 1}`;
    const geom = z.union([polygonSchema, multiPolygonSchema]).safeParse(feat.geometry);
    if (!geom.success) throw invalid(`${where} geometry`, geom.error);
    const props = feat.properties ?? {};
    const id = idSchema.safeParse(props.id);
    if (!id.success) throw invalid(where, id.error);
    const name = z.string().min(1).max(300).safeParse(props.name);
    if (!name.success) throw invalid(where, name.error);
    const rest = Object.fromEntries(Object.entries(props).filter(([k]) => k !== 'id' && k !== 'name'));
    return { id: id.data, name: name.data, geometry: geom.data, properties: rest };
  });
}
