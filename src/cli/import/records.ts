/**
 * Turns an import file into records, one at a time, in constant memory: NDJSON (one JSON object
 * a line) or CSV (a header row naming the columns, then one record a row). A line that cannot be
 * read becomes an error naming its line number; the caller decides whether to go on.
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { CsvRecordReader } from './csv.js';

export type ImportFormat = 'ndjson' | 'csv';

export type ImportRecord =
  | { line: number; value: Record<string, unknown> }
  | { line: number; error: string };

export interface ImportSource {
  /** What to call the input in messages. */
  label: string;
  /** Size in bytes when known (a file), for the progress bar's percentage and ETA. */
  totalBytes: number | null;
  stream: Readable;
}

/** `-` is standard input; anything else a file path. */
export function openSource(path: string): ImportSource {
  if (path === '-') return { label: 'standard input', totalBytes: null, stream: process.stdin };
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new Error(`${path} is not a file`);
    size = stat.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no such file: ${path}`);
    throw err;
  }
  return { label: path, totalBytes: size, stream: createReadStream(path) };
}

/** From --format, else the file's extension (.ndjson, .jsonl, .json, .csv). */
export function pickFormat(path: string, flag: string | undefined): ImportFormat {
  if (flag !== undefined) {
    if (flag === 'ndjson' || flag === 'csv') return flag;
    throw new Error(`--format must be ndjson or csv, got "${flag}"`);
  }
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.(nd)?jsonl?$/i.test(path) || /\.ndjson$/i.test(path)) return 'ndjson';
  throw new Error(
    path === '-' ? 'reading standard input needs --format ndjson or --format csv' : `cannot tell the format of ${path} from its extension: add --format ndjson or --format csv`,
  );
}

export interface ColumnSpec {
  /** Column names accepted in a CSV header. */
  columns: readonly string[];
  /** Columns that must be present in the header. */
  required: readonly string[];
  /** Turns one cell into the value the core expects (e.g. a number); an empty cell is absent. */
  convert?: (column: string, cell: string) => unknown;
}

/**
 * Yields each record with its (first) line number; `onBytes` is told how far into the input the
 * reading is. Blank lines are skipped.
 */
export async function* readRecords(source: ImportSource, format: ImportFormat, spec: ColumnSpec, onBytes: (n: number) => void): AsyncGenerator<ImportRecord> {
  const lines = createInterface({ input: source.stream, crlfDelay: Infinity });
  let lineNo = 0;
  let bytes = 0;
  let header: string[] | null = null;
  const csv = new CsvRecordReader();
  let recordStart = 0;
  for await (const line of lines) {
    lineNo++;
    bytes += Buffer.byteLength(line) + 1;
    onBytes(bytes);
    if (format === 'ndjson') {
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        yield { line: lineNo, error: `not valid JSON (${(err as Error).message})` };
        continue;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) yield { line: lineNo, error: 'each line must be one JSON object' };
      else yield { line: lineNo, value: value as Record<string, unknown> };
      continue;
    }
    if (!csv.unterminated) {
      if (line.trim() === '') continue;
      recordStart = lineNo;
    }
    const fields = csv.push(line);
    if (fields === null) continue;
    if (header === null) {
      header = fields.map((f) => f.trim());
      const unknown = header.filter((c) => !spec.columns.includes(c));
      if (unknown.length) throw new Error(`line ${recordStart}: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the columns are ${spec.columns.join(', ')}`);
      const missing = spec.required.filter((c) => !header!.includes(c));
      if (missing.length) throw new Error(`line ${recordStart}: the header lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
      continue;
    }
    if (fields.length !== header.length) {
      yield { line: recordStart, error: `${fields.length} fields where the header has ${header.length}` };
      continue;
    }
    const value: Record<string, unknown> = {};
    try {
      header.forEach((column, i) => {
        const cell = fields[i]!;
        if (cell !== '') value[column] = spec.convert ? spec.convert(column, cell) : cell;
      });
    } catch (err) {
      yield { line: recordStart, error: (err as Error).message };
      continue;
    }
    yield { line: recordStart, value };
  }
  if (csv.unterminated) yield { line: recordStart, error: 'a quoted field is not closed before the end of the input' };
  if (format === 'csv' && header === null) throw new Error(`${source.label} has no header row`);
}
