import { parse } from 'csv-parse/sync';
import { deviceInputSchema, formatIssues, type DeviceInput } from '@voc/domain';

/** A row of a device file that cannot be registered: its 1-based line and what is wrong. */
export interface RowError {
  readonly line: number;
  readonly message: string;
}

/** Result of {@link parseDeviceFile}: every device, or every bad row (never both). */
export type DeviceFileResult = { ok: true; devices: DeviceInput[] } | { ok: false; errors: RowError[] };

/** Format of a device file, from its extension. */
export type DeviceFileFormat = 'csv' | 'json';

/** `csv` or `json` from a file name; undefined for anything else. */
export function deviceFileFormat(path: string): DeviceFileFormat | undefined {
  const ext = path.toLowerCase().split('.').pop();
  return ext === 'csv' ? 'csv' : ext === 'json' ? 'json' : undefined;
}

/**
 * Parses and validates a device file with `deviceInputSchema`.
 *
 * - CSV: a header naming the fields (`id,kind,name,sensor,lat,lon`, optionally `metadata` holding a
 *   JSON object); empty cells mean "not given". Line numbers are file lines (header = line 1).
 * - JSON: an array of device objects, or `{ "devices": [...] }`; the line is where the object starts.
 *
 * Every bad row is reported (zod messages with the field path), as are duplicate ids and ids reserved
 * for service accounts (`reservedIds`, e.g. the gateway's broker username).
 */
export function parseDeviceFile(text: string, format: DeviceFileFormat, reservedIds: readonly string[] = []): DeviceFileResult {
  const rows = format === 'csv' ? csvRows(text) : jsonRows(text);
  if ('error' in rows) return { ok: false, errors: [rows.error] };
  const errors: RowError[] = [];
  const devices: DeviceInput[] = [];
  const seen = new Map<string, number>();
  for (const { line, value, error } of rows.rows) {
    if (error) {
      errors.push({ line, message: error });
      continue;
    }
    const r = deviceInputSchema.safeParse(value);
    if (!r.success) {
      const msg = formatIssues(r.error.issues, { root: null });
      errors.push({ line, message: msg });
      continue;
    }
    const first = seen.get(r.data.id);
    if (first !== undefined) {
      errors.push({ line, message: `id: "${r.data.id}" is already on line ${first}` });
      continue;
    }
    if (reservedIds.includes(r.data.id)) {
      errors.push({ line, message: `id: "${r.data.id}" is reserved for a service account of the broker` });
      continue;
    }
    seen.set(r.data.id, line);
    devices.push(r.data);
  }
  if (errors.length) return { ok: false, errors };
  if (devices.length === 0) return { ok: false, errors: [{ line: 1, message: 'the file holds no device' }] };
  return { ok: true, devices };
}

type Rows = { rows: { line: number; value: unknown; error?: string }[] } | { error: RowError };

function csvRows(text: string): Rows {
  type Rec = { record: Record<string, string>; info: { lines: number } };
  let records: Rec[];
  try {
    records = parse<Rec>(text, { columns: true, bom: true, trim: true, skip_empty_lines: true, info: true });
  } catch (err) {
    const e = err as { message?: string; lines?: number };
    return { error: { line: e.lines ?? 1, message: `not valid CSV: ${e.message ?? String(err)}` } };
  }
  const rows: { line: number; value: unknown; error?: string }[] = [];
  for (const { record, info } of records) {
    const value: Record<string, unknown> = {};
    let metadataError: string | undefined;
    for (const [k, v] of Object.entries(record)) {
      if (v === '') continue;
      if (k === 'metadata') {
        try {
          value.metadata = JSON.parse(v) as unknown;
        } catch {
          metadataError = `metadata: ${JSON.stringify(v)} is not valid JSON`;
        }
      } else value[k] = v;
    }
    rows.push(metadataError ? { line: info.lines, value, error: metadataError } : { line: info.lines, value });
  }
  return { rows };
}

function jsonRows(text: string): Rows {
  let doc: unknown;
  try {
    doc = JSON.parse(text) as unknown;
  } catch (err) {
    return { error: { line: 1, message: `not valid JSON: ${err instanceof Error ? err.message : String(err)}` } };
  }
  const list = Array.isArray(doc) ? doc : (doc as { devices?: unknown } | null)?.devices;
  if (!Array.isArray(list)) return { error: { line: 1, message: 'expected an array of devices or { "devices": [...] }' } };
  const lines = Array.isArray(doc) ? elementLines(text, 0) : elementLines(text, 1);
  return { rows: list.map((value: unknown, i) => ({ line: lines[i] ?? 1, value })) };
}

/**
 * 1-based line of each element of the device array: the top-level array (`arrayDepth` 0) or the
 * array one object level down (`{ "devices": [...] }`, `arrayDepth` 1). The text is valid JSON.
 */
function elementLines(text: string, arrayDepth: number): number[] {
  const out: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectValue = false;
  // Depth of the target array's contents: 1 for a top-level array, 2 for `{ "devices": [` .
  const target = arrayDepth + 1;
  let targetOpen = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') line++;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') continue;
    if (targetOpen && depth === target && expectValue && ch !== ']') {
      out.push(line);
      expectValue = false;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      depth++;
      if (ch === '[' && depth === target && !targetOpen) {
        targetOpen = true;
        expectValue = true;
      }
    } else if (ch === '}' || ch === ']') {
      if (ch === ']' && depth === target && targetOpen) targetOpen = false;
      depth--;
    } else if (ch === ',' && targetOpen && depth === target) expectValue = true;
  }
  return out;
}
