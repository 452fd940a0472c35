import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { ERROR_CODES, VocError } from '@voc/domain';

/** One CSV record with the 1-based file line it ends on. */
export interface CsvRow {
  readonly line: number;
  readonly cells: readonly string[];
}

/**
 * Streams the records of a CSV file (quotes handled, CRLF or LF, UTF-8 with optional BOM). Cells are
 * raw strings; records may have different lengths (the caller checks its columns).
 * @param delimiter field separator, default `,`
 */
export async function* csvRows(path: string, delimiter = ','): AsyncGenerator<CsvRow> {
  const parser = createReadStream(path).pipe(parse({ delimiter, info: true, relax_column_count: true, bom: true }));
  for await (const r of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    yield { line: r.info.lines, cells: r.record };
  }
}

/** An error in a data file, naming the file and line. Code `VOC_ERR_INVALID_REQUEST`. */
export function dataError(path: string, line: number, message: string): VocError {
  return new VocError(ERROR_CODES.invalid_request, `${path}:${line}: ${message}`);
}

/**
 * Index of each required column in a header row.
 * @throws VocError when a column is absent
 */
export function columnIndex<K extends string>(path: string, header: CsvRow, names: Record<K, string>): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const [key, name] of Object.entries(names) as [K, string][]) {
    const i = header.cells.indexOf(name);
    if (i < 0) throw dataError(path, header.line, `column "${name}" not found in the header`);
    out[key] = i;
  }
  return out;
}

/** Rounds to `digits` decimals, removing binary floating-point noise (0.719 × 100 = 71.9, not 71.89999999999999). */
export function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
