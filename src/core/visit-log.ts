/**
 * The visit log (docs/visit-log.md): every counted visit (not a self-view, not a repeat inside
 * the dedup window, not a replayed id), exactly once, in order, committed by the transaction
 * that acknowledged it. Everything read from visits is a projection of it (projection.ts).
 *
 * Positions are per workspace: strictly increasing in commit order, never reused, never
 * renumbered. They may have gaps (SQLite numbers all workspaces from one sequence; an erased
 * member's entries leave the log). A reader that has seen position n has seen every entry of
 * that workspace below n: none can commit later.
 */
import type { VisitSource } from './types.js';

/** What happened, never a rendering of anyone: cards, plans and privacy are applied on read. */
export interface VisitLogEntry {
  workspaceId: string;
  position: number;
  profileId: string;
  viewerId: string;
  /** When the visit happened (epoch ms), as recorded. */
  viewedAt: number;
  source: VisitSource;
  /** The visit id the recording answered: the client's id, or the id the store gave it. */
  visitId: string;
  /** When the log took it (epoch ms, the recording server's clock): what lag in seconds is measured from. */
  recordedAt: number;
}

/** The newest entry of a workspace's log. */
export interface VisitLogHead {
  workspaceId: string;
  position: number;
  recordedAt: number;
}

export interface VisitLog {
  /** Entries of one workspace with a position above `after`, oldest first, at most `limit`. */
  read(workspaceId: string, after: number, limit: number): Promise<VisitLogEntry[]>;
  /** Every workspace that has a log, with its newest entry. */
  heads(): Promise<VisitLogHead[]>;
  /** How many entries of one workspace lie above `after`, and when the oldest of them was logged. */
  behind(workspaceId: string, after: number): Promise<{ entries: number; oldestRecordedAt: number | null }>;
}
