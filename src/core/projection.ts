/**
 * A projection: something built from the visit log (visit-log.ts) and read instead of it, such
 * as the per-(profile, viewer) summary with its per-day histogram. docs/visit-log.md says how to
 * add one.
 *
 * A projection keeps a checkpoint per workspace: the position up to which it has applied the
 * log. `apply` writes what it derives from entries AND moves its checkpoint in one transaction,
 * so a crash mid-batch leaves either both or neither: no entry lost, none applied twice. It
 * skips entries at or below its checkpoint (read inside that transaction), so applying the same
 * batch twice, or two processes applying it at once, changes nothing the second time.
 */
import type { VisitLogEntry } from './visit-log.js';

export interface Projection {
  /** Stable name: checkpoints are stored under it, `profile-visitors rebuild <name>` takes it. */
  readonly name: string;
  /**
   * `runner`: the projection runner (projection-runner.ts) reads the log and calls `apply`.
   * `store`: the store advances it itself (the SQLite fold thread; on PostgreSQL the summary is
   * written by the recording transaction); the runner only reports its lag, and `apply` serves
   * rebuilds and tests.
   */
  readonly drivenBy: 'runner' | 'store';
  /** Position of the last entry of `workspaceId` applied (0 for none). */
  checkpoint(workspaceId: string): Promise<number>;
  /**
   * Applies entries of one workspace, in position order, and commits the checkpoint at the last
   * one, atomically. Entries at or below the checkpoint are skipped. Throws, applying nothing,
   * when any entry fails.
   */
  apply(workspaceId: string, entries: readonly VisitLogEntry[]): Promise<void>;
  /** Forgets everything built (every workspace) and sets the checkpoints to zero, for a rebuild. */
  reset(): Promise<void>;
  /**
   * Optional: reset and replay the whole log as one transaction, so that readers never see a
   * half-built projection. Without it a rebuild is `reset` then `apply` batch by batch.
   */
  rebuild?(): Promise<void>;
}

/** Where a projection stands against the log in one workspace. */
export interface ProjectionLag {
  projection: string;
  workspaceId: string;
  /** The projection's checkpoint. */
  position: number;
  /** The log's head. */
  head: number;
  /** Entries of the log not applied yet. */
  entries: number;
  /** Age of the oldest entry not applied yet, in seconds (0 when caught up). */
  seconds: number;
}

/**
 * Where the projections of a log other than the visit log stand (the webhooks' member events,
 * a projection of the member-change log): `/healthz?detail=1` and `/metrics` list them beside
 * the runner's (`ProjectionRunner.lag`), in the same shape.
 */
export interface ProjectionLagSource {
  /** The projections it reports on: each is listed, at zero, for a workspace whose log it has nothing of. */
  readonly names: readonly string[];
  /** Where each projection stands in every workspace whose log has had an entry. */
  lag(now: number): Promise<ProjectionLag[]>;
}
