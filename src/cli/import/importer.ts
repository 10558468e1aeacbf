/**
 * The import loop shared by `members import` and `visits import`: read records, hand them to a
 * core use case in batches (the same one the API uses, so the same rules apply), report each
 * refused line with its number and reason, and keep going unless --strict. Memory stays constant:
 * one batch is held at a time, and reading waits while a batch is being stored.
 */
import type { AppError } from '../../core/index.js';
import { createProgress } from './progress.js';
import { openSource, pickFormat, readRecords, type ColumnSpec } from './records.js';

export interface ImportOptions {
  path: string;
  format?: string;
  strict: boolean;
  batchSize: number;
}

/** What the use case said about one item: stored (under an outcome name) or refused. */
export type ItemOutcome = { ok: true; outcome: string } | { ok: false; error: AppError };

export interface ImportSummary {
  lines: number;
  imported: number;
  refused: number;
  /** Items stored, by outcome (e.g. recorded / replayed, created / updated). */
  outcomes: Record<string, number>;
  /** True when --strict stopped the import at a refused line. */
  stopped: boolean;
  seconds: number;
}

export async function runImport(
  what: string,
  opts: ImportOptions,
  spec: ColumnSpec,
  /** Stores one batch, returning an outcome per item in order. */
  storeBatch: (items: Record<string, unknown>[]) => Promise<ItemOutcome[]>,
  /** Outcomes that mean "nothing new was stored" (a re-run) and do not count as imported. */
  unchanged: readonly string[] = [],
): Promise<ImportSummary> {
  const format = pickFormat(opts.path, opts.format);
  const source = openSource(opts.path);
  const started = Date.now();
  const progress = createProgress(what, source.totalBytes);
  const summary: ImportSummary = { lines: 0, imported: 0, refused: 0, outcomes: {}, stopped: false, seconds: 0 };
  let bytes = 0;
  let batch: { line: number; value: Record<string, unknown> }[] = [];

  const refuse = (line: number, reason: string) => {
    summary.refused++;
    progress.log(`line ${line}: ${reason}`);
    if (opts.strict) summary.stopped = true;
  };
  const flush = async () => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    const outcomes = await storeBatch(items.map((i) => i.value));
    outcomes.forEach((o, n) => {
      if (o.ok) {
        summary.outcomes[o.outcome] = (summary.outcomes[o.outcome] ?? 0) + 1;
        if (!unchanged.includes(o.outcome)) summary.imported++;
      }
      // --strict stops at the first refused line: a later refusal in the same batch is neither
      // reported nor counted (lines of the batch the core stored after it are, as imported).
      else if (!summary.stopped) refuse(items[n]!.line, o.error.message);
    });
    progress.update(bytes, summary);
  };

  try {
    for await (const record of readRecords(source, format, spec, (b) => (bytes = b))) {
      if ('error' in record && opts.strict) {
        // Lines before the bad one are stored first, so --strict keeps everything before it; if
        // the core refuses one of them, that is the first refused line and the import stops there.
        await flush();
        if (summary.stopped) break;
      }
      summary.lines++;
      if ('error' in record) refuse(record.line, record.error);
      else batch.push(record);
      if (summary.stopped) break;
      if (batch.length >= opts.batchSize) {
        await flush();
        if (summary.stopped) break;
      }
    }
    if (!summary.stopped) await flush();
  } finally {
    progress.stop();
    if (summary.stopped && source.stream !== process.stdin) source.stream.destroy();
  }
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

/** The closing lines: what happened, and how to read it. */
export function describeSummary(what: string, label: string, s: ImportSummary): string {
  const rate = s.seconds > 0 ? Math.round(s.lines / s.seconds) : s.lines;
  const parts = Object.entries(s.outcomes).map(([k, n]) => `${n} ${k}`);
  const lines = [
    `${s.stopped ? 'stopped' : 'imported'} ${what} from ${label}: ${s.lines} records, ${s.imported} imported${parts.length ? ` (${parts.join(', ')})` : ''}, ${s.refused} refused, in ${s.seconds.toFixed(1)} s (${rate} records/s)`,
  ];
  if (s.stopped) lines.push('--strict: stopped at the first refused line; fix it and run the same command again (lines already imported are not imported twice)');
  else if (s.refused) lines.push('the refused lines are listed above with their reasons; fix them and run the same command again (lines already imported are not imported twice)');
  return lines.join('\n');
}
