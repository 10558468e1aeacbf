/**
 * Import progress on standard error: a bar with rate and ETA when it is a terminal (cli-progress),
 * plain lines otherwise (a log file or CI shows one line per batch, not a stream of redraws).
 * Refused lines are printed above the bar so they stay readable.
 */
import cliProgress from 'cli-progress';

export interface ProgressCounts {
  lines: number;
  imported: number;
  refused: number;
}

export interface Progress {
  /** Bytes read so far and the running counts, after each batch. */
  update(bytes: number, counts: ProgressCounts): void;
  /** A message (a refused line) that must not be overwritten by the bar. */
  log(message: string): void;
  stop(): void;
}

export function createProgress(what: string, totalBytes: number | null, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY && totalBytes !== null && totalBytes > 0) return barProgress(what, totalBytes, stream);
  return lineProgress(what, totalBytes, stream);
}

function barProgress(what: string, totalBytes: number, stream: NodeJS.WriteStream): Progress {
  const started = Date.now();
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: `${what} {bar} {percentage}% | {lines} records | {imported} imported, {refused} refused | {rate}/s | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = multi.create(totalBytes, 0, { lines: 0, imported: 0, refused: 0, rate: 0 });
  return {
    update(bytes, counts) {
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      bar.update(Math.min(bytes, totalBytes), { ...counts, rate: Math.round(counts.lines / seconds) });
    },
    log(message) {
      multi.log(`${message}\n`);
    },
    stop() {
      multi.stop();
    },
  };
}

function lineProgress(what: string, totalBytes: number | null, stream: NodeJS.WriteStream): Progress {
  return {
    update(bytes, c) {
      const pct = totalBytes ? ` (${Math.min(100, Math.floor((bytes / totalBytes) * 100))}%)` : '';
      stream.write(`${what}: ${c.lines} records read${pct}, ${c.imported} imported, ${c.refused} refused\n`);
    },
    log(message) {
      stream.write(`${message}\n`);
    },
    stop() {},
  };
}
