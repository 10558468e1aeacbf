/**
 * member.created / member.updated / member.erased, ids only (docs/webhooks.md, "Member events").
 *
 * The entity store writes every member created, changed or erased to the member-change log in
 * the transaction of the change (core/member-changes.ts), whoever made it: the native API, the
 * compatible APIs, inline profiles sent with visits, the CLI. An acknowledged change is in the
 * log. This projection turns the log into outbox messages, one per change and subscribed
 * endpoint, written in the transaction that moves its checkpoint (`webhooks.members`), as the
 * visit outbox does with the visit log (outbox-projection.ts): whatever crashes and however many
 * processes, each change becomes its messages exactly once. An erased member's profile.visited
 * messages are forgotten in that transaction too. Entries the checkpoint has passed are pruned:
 * the outbox is the log's only reader.
 *
 * Each process advances it: at once for a change it made itself (the member store's wrapper
 * below wakes it), and by polling the log's heads for the changes of other processes (workers,
 * other instances, the CLI) and for what a process killed before it got there left behind.
 */
import type { Clock, MemberChange, MemberChangeLog, MemberStore, ProjectionLag, ProjectionLagSource, Store } from '../core/index.js';
import type { WebhookStore } from './store.js';
import { MEMBER_EVENTS_PROJECTION } from './outbox-name.js';
import type { NewMessage, WebhookEndpoint, WebhookEvent } from './types.js';
import { newId } from './ids.js';

/** Changes read and applied per transaction. */
export const MEMBER_EVENTS_BATCH = 1_000;
/** How often each process looks for changes it was not told of (another process's). */
export const MEMBER_EVENTS_POLL_MS = 1_000;

export interface MemberEventsOptions {
  store: WebhookStore;
  changes: MemberChangeLog;
  clock: Clock;
  /** Called after messages are written (wakes this process's delivery worker). */
  onWritten: () => void;
  log?: { error(obj: object, msg: string): void };
  batch?: number;
}

/** The messages of a batch of changes: one per change and endpoint subscribed to its event (enabled or not: a disabled endpoint's wait). */
export function memberMessages(workspaceId: string, endpoints: readonly WebhookEndpoint[], changes: readonly MemberChange[]): (NewMessage & { id: string })[] {
  return changes.flatMap((c) => {
    const event: WebhookEvent = `member.${c.kind}`;
    return endpoints
      .filter((e) => e.events.includes(event) || e.events.includes('*'))
      .map((e) => ({ id: newId('msg'), workspaceId, endpointId: e.id, event, payload: JSON.stringify({ memberId: c.memberId }), occurredAt: c.changedAt }));
  });
}

export class MemberEvents implements ProjectionLagSource {
  readonly names = [MEMBER_EVENTS_PROJECTION];
  /** Per workspace, the advance under way, and whether another pass is wanted after it. */
  private running = new Map<string, { again: boolean; done: Promise<void> }>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private ticking: Promise<unknown> = Promise.resolve();
  private closing = false;
  /** Per workspace, the position every entry at or below which is in the outbox, not yet pruned. */
  private prunable = new Map<string, number>();

  constructor(private o: MemberEventsOptions) {}

  /**
   * Turns the workspace's changes above the checkpoint into messages (the next poll prunes
   * them). Resolves once every change committed before the call is in the outbox. Calls for one
   * workspace while one runs share it (it makes one more pass).
   */
  advance(workspaceId: string): Promise<void> {
    const current = this.running.get(workspaceId);
    if (current) {
      current.again = true;
      return current.done;
    }
    const state = { again: true, done: Promise.resolve() };
    state.done = (async () => {
      try {
        while (state.again && !this.closing) {
          state.again = false;
          await this.drain(workspaceId);
        }
      } finally {
        this.running.delete(workspaceId);
      }
    })();
    this.running.set(workspaceId, state);
    return state.done;
  }

  /** A change was made in this process: advance its workspace soon, without waiting for it. */
  wake(workspaceId: string): void {
    if (this.closing) return;
    this.advance(workspaceId).catch((err: unknown) => this.o.log?.error({ err, workspaceId }, 'webhook member events: could not write the messages of member changes; retried'));
  }

  /** Prunes what the outbox holds, then advances every workspace whose log is ahead of the checkpoint. */
  async runOnce(): Promise<void> {
    // Once a poll rather than after each pass: a pass per member change stays a few statements.
    for (const [ws, through] of [...this.prunable]) {
      this.prunable.delete(ws);
      await this.o.changes.prune(ws, through);
    }
    const [heads, checkpoints] = await Promise.all([this.o.changes.heads(), this.o.store.memberEventCheckpoints()]);
    for (const h of heads) {
      if (this.closing) return;
      if (h.position <= (checkpoints.get(h.workspaceId) ?? 0)) continue;
      await this.advance(h.workspaceId).catch((err: unknown) =>
        this.o.log?.error({ err, workspaceId: h.workspaceId }, 'webhook member events: could not write the messages of member changes; retried'),
      );
    }
  }

  /** Polls every `intervalMs` (the first time at once: what a stopped process left behind) until `stop`. */
  start(intervalMs = MEMBER_EVENTS_POLL_MS): this {
    const tick = () => {
      this.ticking = this.runOnce()
        .catch((err: unknown) => this.o.log?.error({ err }, 'webhook member events: could not read the member-change log'))
        .finally(() => {
          if (!this.closing) this.timer = setTimeout(tick, intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, 0).unref();
    return this;
  }

  async stop(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    await this.ticking;
    await Promise.allSettled([...this.running.values()].map((s) => s.done));
  }

  /**
   * Where the projection stands in every workspace whose member-change log has had an entry, as
   * `ProjectionRunner.lag` says it of the visit log's (shown by /healthz?detail=1 and /metrics).
   * Positions are dense and nothing above the checkpoint is pruned, so the entries behind are
   * head - checkpoint, and the oldest of them is the next one to read.
   */
  async lag(now: number): Promise<ProjectionLag[]> {
    // Checkpoints before heads: a checkpoint never passes the head, so none is read above it.
    const checkpoints = await this.o.store.memberEventCheckpoints();
    const heads = await this.o.changes.heads();
    return Promise.all(
      heads.map(async (h) => {
        const position = checkpoints.get(h.workspaceId) ?? 0;
        const [oldest] = position < h.position ? await this.o.changes.read(h.workspaceId, position, 1) : [];
        return {
          projection: MEMBER_EVENTS_PROJECTION,
          workspaceId: h.workspaceId,
          position,
          head: h.position,
          entries: Math.max(0, h.position - position),
          seconds: oldest ? Math.max(0, (now - oldest.changedAt) / 1000) : 0,
        };
      }),
    );
  }

  private async drain(workspaceId: string): Promise<void> {
    const batch = this.o.batch ?? MEMBER_EVENTS_BATCH;
    let at = await this.o.store.memberEventCheckpoint(workspaceId);
    for (;;) {
      const changes = await this.o.changes.read(workspaceId, at, batch);
      if (changes.length === 0) break;
      const written = await this.o.store.applyMemberChanges(workspaceId, changes, (endpoints, fresh) => memberMessages(workspaceId, endpoints, fresh), this.o.clock.now());
      if (written > 0) this.o.onWritten();
      // Applied here or by another process: the checkpoint is at least there now.
      at = changes.at(-1)!.position;
      this.prunable.set(workspaceId, at);
      if (changes.length < batch || this.closing) break;
    }
  }
}

/**
 * The member store of the app: every write is the store's own (which logs it); a write that
 * changed something wakes the projection, and an erase waits for it, so that the erased member's
 * profile.visited messages are forgotten before the erase is answered, as they always were.
 */
export function withMemberEvents(store: Store, events: MemberEvents, log?: MemberEventsOptions['log']): Store {
  const members = store.members;
  const wrapped: MemberStore = {
    get: (ws, id) => members.get(ws, id),
    getMany: (ws, ids) => members.getMany(ws, ids),
    existingIds: (ws, ids) => members.existingIds(ws, ids),
    countByVisibility: (ws, ids) => members.countByVisibility(ws, ids),
    async upsert(ws, inputs, mode, now) {
      const out = await members.upsert(ws, inputs, mode, now);
      // A member written by this upsert has it as its time of change; one it left alone does not
      // (a hint only: the log is what counts, and the poll finds whatever this misses).
      if (out.some((m) => m.updatedAt === now)) events.wake(ws);
      return out;
    },
    async erase(ws, id, now) {
      const erased = await members.erase(ws, id, now);
      if (erased) {
        // Committed with the erase in the log: if this fails, the poll does it later.
        await events.advance(ws).catch((err: unknown) =>
          log?.error({ err, workspaceId: ws }, 'webhook member events: could not write the messages of member changes; retried'),
        );
      }
      return erased;
    },
  };
  return { ...store, members: wrapped };
}
