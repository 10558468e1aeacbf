import { DAY_MS } from '../clock.js';
import { nextTurn } from '../next-turn.js';
import type { PurgeCounts } from '../retention.js';
import type { Workspace } from '../types.js';
import type { CoreDeps } from './deps.js';
import { recordAudit, type Actor } from './audit.js';

/** Visits per transaction: small enough that recording never waits long behind a batch. */
export const PURGE_BATCH = 1_000;

export interface WorkspacePurge extends PurgeCounts {
  workspaceId: string;
  retentionDays: number;
  /** Visits before this instant (epoch ms) are past retention. */
  cutoff: number;
}

export interface PurgeReport {
  dryRun: boolean;
  /** Whole stored ranges dropped (PostgreSQL months), before the per-workspace batches. */
  rangesDropped: number;
  workspaces: WorkspacePurge[];
}

export interface PurgeOptions {
  dryRun?: boolean;
  batch?: number;
  /** Waited between two batches (the purge yields to recording); the default yields one turn of the event loop. */
  pause?: () => Promise<void>;
  /** Who asked: the audit log names it (null: the command line or the background purge). */
  actor?: Actor;
}

/** A workspace's cutoff: visits before it are older than its retention. */
export const retentionCutoff = (workspace: Workspace, now: number) => now - workspace.settings.retentionDays * DAY_MS;

/**
 * Removes every visit older than its workspace's `retentionDays` from the log and every
 * projection (docs/privacy-controls.md, "Retention"). Idempotent: a purge killed midway left
 * whole batches done and the rest as it was, and the next one carries on. Ranges older than
 * the oldest workspace's cutoff go whole first (cheap); then each workspace in batches.
 */
export async function purgeExpiredVisits(deps: CoreDeps, opts: PurgeOptions = {}): Promise<PurgeReport> {
  const now = deps.clock.now();
  const batch = opts.batch ?? PURGE_BATCH;
  const pause = opts.pause ?? nextTurn;
  const workspaces: Workspace[] = [];
  for (const id of await deps.store.workspaces.ids()) {
    const ws = await deps.store.workspaces.get(id);
    if (ws) workspaces.push(ws);
  }
  const report: PurgeReport = { dryRun: opts.dryRun === true, rangesDropped: 0, workspaces: [] };
  if (workspaces.length === 0) return report;
  if (!opts.dryRun) {
    const oldest = Math.min(...workspaces.map((w) => retentionCutoff(w, now)));
    report.rangesDropped = await deps.store.retention.dropWholeRanges(oldest);
  }
  for (const ws of workspaces) {
    const cutoff = retentionCutoff(ws, now);
    const done: WorkspacePurge = { workspaceId: ws.id, retentionDays: ws.settings.retentionDays, cutoff, visits: 0, pairsRemoved: 0, pairsChanged: 0, logEntries: 0 };
    if (opts.dryRun) Object.assign(done, await deps.store.retention.countExpired(ws.id, cutoff));
    else {
      for (;;) {
        const n = await deps.store.retention.purgeBatch(ws.id, cutoff, batch);
        done.visits += n.visits;
        done.pairsRemoved += n.pairsRemoved;
        done.pairsChanged += n.pairsChanged;
        done.logEntries += n.logEntries;
        if (n.done) break;
        await pause();
      }
      if (done.visits > 0 || done.pairsRemoved > 0 || done.pairsChanged > 0 || done.logEntries > 0) {
        await recordAudit(deps, ws, opts.actor ?? { keyId: null }, 'visits.purged', ws.id, {
          cutoff,
          visits: done.visits,
          pairsRemoved: done.pairsRemoved,
          pairsChanged: done.pairsChanged,
          logEntries: done.logEntries,
        });
      }
    }
    report.workspaces.push(done);
  }
  return report;
}
