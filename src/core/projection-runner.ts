/**
 * Advances projections (projection.ts) from their checkpoints along the visit log, and says how
 * far behind each one is (docs/visit-log.md). Several runners may run at once (WORKERS=N,
 * several servers on one PostgreSQL): a projection's `apply` skips what its checkpoint already
 * covers, inside its own transaction, so two runners never apply an entry twice.
 *
 * A projection whose `apply` throws is stopped at the entry that failed: the entries before it
 * in the batch are applied one by one, its checkpoint stays just below the failing one, the
 * failure is reported, and this runner leaves the projection alone until it is restarted (a
 * new runner, i.e. a restarted process), which tries that entry again. It never skips one.
 */
import type { Projection, ProjectionLag } from './projection.js';
import type { VisitLog } from './visit-log.js';
import { nextTurn } from './next-turn.js';

export interface ProjectionFailure {
  projection: string;
  workspaceId: string;
  /** The entry that failed: the projection's checkpoint is below it. */
  position: number;
  message: string;
}

export interface ProjectionRunnerOptions {
  /** Entries read and applied per transaction. */
  batch?: number;
  /** Told once per failure (the server logs it). */
  onFailure?(failure: ProjectionFailure): void;
}

export const PROJECTION_BATCH = 1_000;

export class ProjectionRunner {
  private stopped = new Map<string, ProjectionFailure>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private closing = false;

  constructor(
    private log: VisitLog,
    private projections: readonly Projection[],
    private opts: ProjectionRunnerOptions = {},
  ) {}

  /** The projections stopped by a failure, with the entry each stopped at. */
  failures(): ProjectionFailure[] {
    return [...this.stopped.values()];
  }

  /**
   * Applies every runner-driven projection until it reaches the log's head as read at the start
   * (or stops on a failure). Returns the number of entries applied.
   */
  async runOnce(): Promise<number> {
    let applied = 0;
    const driven = this.projections.filter((p) => p.drivenBy === 'runner' && !this.stopped.has(p.name));
    if (driven.length === 0) return 0;
    const heads = await this.log.heads();
    for (const p of driven) {
      for (const head of heads) applied += await this.advance(p, head.workspaceId, head.position);
    }
    return applied;
  }

  /** Runs `runOnce` every `intervalMs` until `stop`. */
  start(intervalMs: number): void {
    const tick = () => {
      this.running = this.runOnce()
        .catch((err: unknown) => this.opts.onFailure?.({ projection: '*', workspaceId: '*', position: 0, message: messageOf(err) }))
        .finally(() => {
          if (!this.closing) this.timer = setTimeout(tick, intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  async stop(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Lag of every projection in every workspace that has a log. */
  async lag(now: number): Promise<ProjectionLag[]> {
    const out: ProjectionLag[] = [];
    const heads = await this.log.heads();
    for (const p of this.projections) {
      for (const head of heads) {
        const position = await p.checkpoint(head.workspaceId);
        const behind = position >= head.position ? { entries: 0, oldestRecordedAt: null } : await this.log.behind(head.workspaceId, position);
        out.push({
          projection: p.name,
          workspaceId: head.workspaceId,
          position,
          head: head.position,
          entries: behind.entries,
          seconds: behind.oldestRecordedAt === null ? 0 : Math.max(0, (now - behind.oldestRecordedAt) / 1000),
        });
      }
    }
    return out;
  }

  private async advance(p: Projection, ws: string, upTo: number): Promise<number> {
    const batch = this.opts.batch ?? PROJECTION_BATCH;
    let applied = 0;
    let from = await p.checkpoint(ws);
    while (from < upTo && !this.closing) {
      const entries = await this.log.read(ws, from, batch);
      if (entries.length === 0) break;
      try {
        await p.apply(ws, entries);
        applied += entries.length;
      } catch {
        // Find the entry that fails: apply the batch one entry at a time up to it.
        for (const e of entries) {
          try {
            await p.apply(ws, [e]);
          } catch (err) {
            const failure = { projection: p.name, workspaceId: ws, position: e.position, message: messageOf(err) };
            this.stopped.set(p.name, failure);
            this.opts.onFailure?.(failure);
            return applied;
          }
          applied++;
        }
      }
      from = entries.at(-1)!.position;
      // Let requests in between batches: a store's calls may complete without waiting on any I/O
      // (SQLite's are synchronous), and a backlog (a server started after a burst) was otherwise
      // applied in one turn of the event loop, every request waiting for all of it.
      await nextTurn();
    }
    return applied;
  }
}

/**
 * Rebuilds one projection from the whole log: its own `rebuild` when it has one (done in one
 * transaction), else reset and replay.
 */
export async function rebuildProjection(log: VisitLog, projection: Projection, batch = PROJECTION_BATCH): Promise<void> {
  if (projection.rebuild) return projection.rebuild();
  await projection.reset();
  for (const head of await log.heads()) {
    let from = 0;
    for (;;) {
      const entries = await log.read(head.workspaceId, from, batch);
      if (entries.length === 0) break;
      await projection.apply(head.workspaceId, entries);
      from = entries.at(-1)!.position;
    }
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
