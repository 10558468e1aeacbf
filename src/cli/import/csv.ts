/**
 * CSV (RFC 4180): comma-separated, a field may be double-quoted, a quote inside a quoted field is
 * doubled, and a quoted field may span lines. Fed one physical line at a time so the file is
 * streamed; `push` returns the record once its last line has arrived.
 */
export class CsvRecordReader {
  private pending: string | null = null;

  /** The fields of the record this line completes, or null when a quoted field continues on the next line. */
  push(line: string): string[] | null {
    const text = this.pending === null ? line : `${this.pending}\n${line}`;
    const fields = parseCsvRecord(text);
    if (fields === null) {
      this.pending = text;
      return null;
    }
    this.pending = null;
    return fields;
  }

  /** True when the input ended inside a quoted field. */
  get unterminated(): boolean {
    return this.pending !== null;
  }
}

/** Splits one record; null when it ends inside quotes (the record continues on the next line). */
export function parseCsvRecord(text: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return null;
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      // Anything between the closing quote and the next comma is kept as written.
      const comma = text.indexOf(',', i);
      value += comma < 0 ? text.slice(i) : text.slice(i, comma);
      fields.push(value);
      if (comma < 0) return fields;
      i = comma + 1;
    } else {
      const comma = text.indexOf(',', i);
      fields.push(comma < 0 ? text.slice(i) : text.slice(i, comma));
      if (comma < 0) return fields;
      i = comma + 1;
    }
  }
}
