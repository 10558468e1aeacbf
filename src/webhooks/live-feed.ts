/**
 * The live feed (Server-Sent Events) of counted visits, one hub per process. The hub polls the
 * log's heads (one query per tick, whatever the number of connections), reads each new entry
 * once, renders it once (visit-notification.ts: the same rendering as profile.visited, at the
 * time it is sent) and hands it to every connection that wants it.
 *
 * A connection starts at its Last-Event-ID (a log position) or at the current head. It first
 * catches up on its own by reading the log from there, then takes the hub's entries; both paths
 * pass through its cursor, so nothing is sent twice and nothing is skipped (an entry the hub
 * read before the connection registered was committed before its catch-up began, so the
 * catch-up reads it). A connection whose client does not keep up has a bounded queue: once it
 * is full the connection is closed, and the client resumes with Last-Event-ID.
 */
import type { Clock, Store, VisitLogEntry, Workspace } from '../core/index.js';
import { visitNotification } from '../core/index.js';
import { presentVisit } from './present-visit.js';

export interface FeedEvent {
  position: number;
  data: ReturnType<typeof presentVisit>;
}

export interface FeedOptions {
  store: Store;
  clock: Clock;
  /** How often the log's heads are polled while anyone listens. */
  pollMs?: number;
  /** Events waiting for one slow connection before it is dropped. */
  maxQueue?: number;
}

interface Connection {
  workspaceId: string;
  /** Only this profile's visits (a member's feed); null for the workspace's. */
  profileId: string | null;
  cursor: number;
  catchingUp: boolean;
  sending: boolean;
  queue: FeedEvent[];
  closed: boolean;
  send(e: FeedEvent): Promise<void>;
  drop(reason: string): void;
}

const READ_BATCH = 200;

export class LiveFeed {
  private conns = new Map<string, Set<Connection>>();
  private seen = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly pollMs: number;
  private readonly maxQueue: number;

  constructor(private o: FeedOptions) {
    this.pollMs = o.pollMs ?? 200;
    this.maxQueue = o.maxQueue ?? 1_000;
  }

  /** The position a connection without Last-Event-ID starts after: the workspace's head now. */
  async head(workspaceId: string): Promise<number> {
    const heads = await this.o.store.visitLog.heads();
    return heads.find((h) => h.workspaceId === workspaceId)?.position ?? 0;
  }

  get connections(): number {
    let n = 0;
    for (const s of this.conns.values()) n += s.size;
    return n;
  }

  /** Starts a connection after `after`; returns its unsubscribe. */
  open(
    workspaceId: string,
    profileId: string | null,
    after: number,
    send: (e: FeedEvent) => Promise<void>,
    drop: (reason: string) => void,
  ): () => void {
    const c: Connection = { workspaceId, profileId, cursor: after, catchingUp: true, sending: false, queue: [], closed: false, send, drop };
    let set = this.conns.get(workspaceId);
    if (!set) this.conns.set(workspaceId, (set = new Set()));
    set.add(c);
    if (!this.seen.has(workspaceId)) this.seen.set(workspaceId, after);
    this.ensurePolling();
    void this.catchUp(c).catch((err) => c.drop(`feed failed: ${err instanceof Error ? err.message : String(err)}`));
    return () => this.close(c);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const all = [...this.conns.values()].flatMap((set) => [...set]);
    this.conns.clear();
    this.seen.clear();
    for (const c of all) {
      c.closed = true;
      c.drop('the server is shutting down');
    }
  }

  private close(c: Connection) {
    c.closed = true;
    const set = this.conns.get(c.workspaceId);
    set?.delete(c);
    if (set && set.size === 0) {
      this.conns.delete(c.workspaceId);
      this.seen.delete(c.workspaceId);
    }
  }

  private async render(workspace: Workspace | undefined, e: VisitLogEntry): Promise<FeedEvent | null> {
    if (!workspace) return null;
    const n = await visitNotification({ store: this.o.store, clock: this.o.clock }, workspace, e);
    return n ? { position: e.position, data: presentVisit(n) } : null;
  }

  private async catchUp(c: Connection) {
    this.o.store.beginRequest?.();
    const workspace = await this.o.store.workspaces.get(c.workspaceId);
    for (;;) {
      const entries = await this.o.store.visitLog.read(c.workspaceId, c.cursor, READ_BATCH);
      if (entries.length === 0 || c.closed) break;
      for (const e of entries) {
        if (c.closed) return;
        if (e.position <= c.cursor) continue;
        const ev = c.profileId === null || e.profileId === c.profileId ? await this.render(workspace, e) : null;
        c.cursor = e.position;
        if (ev) await c.send(ev);
      }
    }
    c.catchingUp = false;
    await this.pump(c);
  }

  private offer(c: Connection, ev: FeedEvent) {
    if (c.closed || ev.position <= c.cursor) return;
    c.queue.push(ev);
    if (c.queue.length > this.maxQueue) {
      this.close(c);
      c.drop('the client did not keep up');
      return;
    }
    if (!c.catchingUp && !c.sending) void this.pump(c);
  }

  private async pump(c: Connection) {
    if (c.sending) return;
    c.sending = true;
    try {
      while (!c.closed && c.queue.length > 0) {
        const ev = c.queue.shift()!;
        if (ev.position <= c.cursor) continue;
        c.cursor = ev.position;
        await c.send(ev);
      }
    } catch (err) {
      this.close(c);
      c.drop(`send failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      c.sending = false;
    }
  }

  private ensurePolling() {
    if (this.timer || this.polling) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.polling = true;
      this.poll()
        .catch(() => {})
        .finally(() => {
          this.polling = false;
          if (this.conns.size > 0) this.ensurePolling();
        });
    }, this.pollMs);
    this.timer.unref();
  }

  private async poll() {
    this.o.store.beginRequest?.();
    const heads = await this.o.store.visitLog.heads();
    for (const h of heads) {
      const set = this.conns.get(h.workspaceId);
      let at = this.seen.get(h.workspaceId);
      if (!set || set.size === 0 || at === undefined || h.position <= at) continue;
      const workspace = await this.o.store.workspaces.get(h.workspaceId);
      while (at < h.position) {
        const entries = await this.o.store.visitLog.read(h.workspaceId, at, READ_BATCH);
        if (entries.length === 0) break;
        for (const e of entries) {
          const wanting = [...set].filter((c) => !c.closed && e.position > c.cursor && (c.profileId === null || c.profileId === e.profileId));
          if (wanting.length > 0) {
            const ev = await this.render(workspace, e);
            if (ev) for (const c of wanting) this.offer(c, ev);
          }
          at = e.position;
        }
        if (this.conns.get(h.workspaceId) === set) this.seen.set(h.workspaceId, at);
      }
    }
  }
}
