/**
 * The background retention purge (docs/privacy-controls.md, "Retention"): every
 * PURGE_INTERVAL_MS, and once shortly after start, each workspace's visits older than its
 * `retentionDays` are removed in small batches, pausing between batches so that recording and
 * reading are never held up for long. Stopping waits for the batch in hand, never for the
 * whole purge: the next run carries on where this one stopped.
 */
import { purgeExpiredVisits, type CoreDeps, type PurgeReport } from '../core/index.js';

/** Between two batches: about 1,000 visits a batch, so at most about 100 batches a second. */
const PAUSE_MS = 10;
/** The first run, soon after start (not during it: start-up has other work). */
const FIRST_RUN_MS = 30_000;

class Stopped extends Error {}

export interface Purger {
  /** Runs a purge now (unless one is running: then waits for it). */
  runNow(): Promise<PurgeReport | undefined>;
  stop(): Promise<void>;
}

export function startPurger(deps: CoreDeps, intervalMs: number, onReport: (r: PurgeReport) => void, onError: (err: unknown) => void): Purger {
  let stopping = false;
  let running: Promise<PurgeReport | undefined> | undefined;
  const pause = () =>
    new Promise<void>((resolve, reject) => {
      if (stopping) return reject(new Stopped());
      setTimeout(resolve, PAUSE_MS).unref();
    });
  const run = () =>
    (running ??= purgeExpiredVisits(deps, { pause })
      .then(
        (report) => {
          onReport(report);
          return report;
        },
        (err) => {
          if (!(err instanceof Stopped)) onError(err);
          return undefined;
        },
      )
      .finally(() => (running = undefined)));
  const first = setTimeout(run, Math.min(FIRST_RUN_MS, intervalMs)).unref();
  const every = setInterval(run, intervalMs).unref();
  return {
    runNow: run,
    async stop() {
      stopping = true;
      clearTimeout(first);
      clearInterval(every);
      await running;
    },
  };
}
