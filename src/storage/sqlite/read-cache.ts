/**
 * Rows of the visitor list's hot path, kept in this process: member cards, visitor pages with
 * their totals, connection lists (for degrees and LinkupAPI's call to action), and which API
 * keys are unlimited (LinkupAPI charges every read). SQLite answers a random row of the bench
 * dataset in 5 to 9 µs (a B-tree descent through pages the OS has cached, then decoding the
 * columns); a list page touches about a dozen such rows, which was two thirds of a list
 * request's CPU. Requests follow popularity (a few owners are read far more than the rest), so
 * most of them find everything here.
 *
 * Coherence is exact, not time-based:
 * - every write of this process goes through one write API (writes.ts), which drops what the
 *   write changed inside the same synchronous block as the commit, so before the write is
 *   acknowledged; a write that goes around it is noticed by the next read or write (SQLite's
 *   `total_changes()` for this connection moved without it), which then forgets everything and
 *   counts a bypass;
 * - every write a reader could see, by any process, moves a change epoch (`change_epoch`, one
 *   in the main file for members, connections and key balances, one in the inbox for
 *   recordings), which every read checks first; a move this process did not make drops
 *   everything, since we cannot tell what that write changed. Folding visits from the inbox
 *   into the summary changes nothing a reader sees, so it moves no epoch and costs the cache
 *   nothing. The epochs are read only when `PRAGMA data_version` (SQLite's documented way to
 *   ask "has another connection committed to this file since I last asked?") says so for
 *   either file; otherwise the check is those two pragmas (each a WAL read lock taken and
 *   released, 2 to 8 µs depending on the load). Within a request that check is made once, by
 *   its first read (`beginRequest`): a fifth of a cached list request's CPU when each of its
 *   three reads made it.
 * better-sqlite3 is synchronous, so a read and the fill that follows it cannot be split by a
 * write of this process.
 *
 * Cached objects are frozen: callers share them.
 */
import { LRUCache } from 'lru-cache';
import type { Member, ViewerSummary } from '../../core/index.js';
import type { SqliteDb } from './database.js';
import type { Changed, Effect } from './writes.js';

/** A visitor page with the range of `since` values for which it stays exactly the same answer. */
export interface CachedPage {
  offset: number;
  limit: number;
  /** The `since` it was read with. */
  sinceFrom: number;
  /**
   * The largest `since` giving the same answer: the oldest last view in range (later, that
   * viewer leaves the total) or the oldest in-range view of a row on the page (later, its
   * count changes), whichever comes first.
   */
  sinceTo: number;
  total: number;
  rows: readonly ViewerSummary[];
}

type Entry =
  | { kind: 'member'; member: Member }
  | { kind: 'pages'; pages: CachedPage[] }
  | { kind: 'neighbors'; ids: readonly string[] }
  | { kind: 'blocks'; ids: readonly string[] }
  | { kind: 'unlimited' };

/** Different windows and page sizes asked of one profile (a plan's horizon, a time range filter, ...). */
const PAGES_PER_PROFILE = 6;

const key = (kind: 'm' | 'p' | 'n' | 'b' | 'k', ws: string, id: string) => `${kind}\u0000${ws}\u0000${id}`;

/**
 * Bytes of heap an entry holds, key and LRU bookkeeping included: V8 keeps these strings one
 * byte per character, plus a header. The constants were fitted on the bench dataset (20,000
 * visitor pages and their 70,000 member cards: heap growth within 2% of the sum).
 */
function sizeOf(e: Entry): number {
  switch (e.kind) {
    case 'member': {
      let n = 400;
      for (const v of Object.values(e.member)) if (typeof v === 'string') n += 16 + v.length;
      return n;
    }
    case 'pages': {
      let n = 200;
      for (const p of e.pages) {
        n += 120;
        for (const r of p.rows) n += 110 + r.viewerId.length;
      }
      return n;
    }
    case 'neighbors':
    case 'blocks': {
      let n = 200;
      for (const id of e.ids) n += 24 + id.length;
      return n;
    }
    case 'unlimited':
      return 200;
  }
}

/** Entries found in the cache, and the ids to read from SQLite. */
export interface Lookup<T> {
  found: Map<string, T>;
  missing: string[];
}

/** Which epoch a write moved: the main file's (members) or the inbox's (recordings). */
export type Epoch = 'main' | 'inbox';

export class ReadCache {
  private lru: LRUCache<string, Entry> | null;
  private versions;
  private epochs;
  private bumps;
  private seen: { main: number; inbox: number; mainVersion: number; inboxVersion: number };
  private totalChanges;
  /** This connection's `total_changes()` when the write API last ended a write. */
  private changesSeen: number;
  /** Writes of this connection noticed outside the write API (writes.ts); should stay 0. */
  bypasses = 0;
  /**
   * `armed` after `beginRequest`: the next read checks, and the reads after it reuse that check
   * (`checked`) until `beginRequest` is called again or the turn of the event loop ends (at
   * the latest, the next check phase). Then every read checks (`off`) until the next request.
   */
  private reuse: 'off' | 'armed' | 'checked' = 'off';
  private turnEnding = false;
  private endTurn = () => {
    this.turnEnding = false;
    this.reuse = 'off';
  };

  /** `maxBytes` 0 turns caching off (every read goes to SQLite). */
  constructor(db: SqliteDb, maxBytes: number) {
    this.lru = maxBytes > 0 ? new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: sizeOf }) : null;
    const mainVersion = db.prepare<[], number>('PRAGMA main.data_version').pluck();
    const inboxVersion = db.prepare<[], number>('PRAGMA inbox.data_version').pluck();
    this.versions = () => [mainVersion.get()!, inboxVersion.get()!] as const;
    this.epochs = db
      .prepare<[], [number, number]>('SELECT (SELECT n FROM main.change_epoch WHERE id = 1), (SELECT n FROM inbox.change_epoch WHERE id = 1)')
      .raw();
    this.bumps = {
      main: db.prepare<[], number>('UPDATE main.change_epoch SET n = n + 1 WHERE id = 1 RETURNING n').pluck(),
      inbox: db.prepare<[], number>('UPDATE inbox.change_epoch SET n = n + 1 WHERE id = 1 RETURNING n').pluck(),
    };
    const [main, inbox] = this.epochs.get()!;
    const [mainVersion0, inboxVersion0] = this.versions();
    this.seen = { main, inbox, mainVersion: mainVersion0, inboxVersion: inboxVersion0 };
    this.totalChanges = db.prepare<[], number>('SELECT total_changes()').pluck();
    this.changesSeen = this.totalChanges.get()!;
  }

  /** Size of what is cached (for /metrics). */
  get usage(): { bytes: number; entries: number } {
    return { bytes: this.lru?.calculatedSize ?? 0, entries: this.lru?.size ?? 0 };
  }

  /** False with a zero budget: callers skip work done only to fill the cache. */
  get enabled(): boolean {
    return this.lru !== null;
  }

  /**
   * A request (or any unit of work) begins. The next read checks for other processes' commits,
   * so every read of the request comes after a check made after it began: it sees every commit
   * acknowledged before the request was sent. A request beginning later re-arms, so a reuse
   * never spans one. Reads outside requests may reuse a check made in the same turn for a
   * request: work outside requests that must see other processes' latest commits (a background
   * job in the server) calls this first, as a request does.
   */
  beginRequest(): void {
    if (this.lru) this.reuse = 'armed';
  }

  /** Called before every read: drops everything when another process wrote something a reader could see. */
  private sync(): LRUCache<string, Entry> | null {
    if (!this.lru) return null;
    if (this.reuse === 'checked') return this.lru;
    this.check(this.lru);
    // Only a check that went through is reused: one that threw leaves the next read to check.
    if (this.reuse === 'armed') {
      this.reuse = 'checked';
      if (!this.turnEnding) {
        this.turnEnding = true;
        setImmediate(this.endTurn);
      }
    }
    return this.lru;
  }

  private check(lru: LRUCache<string, Entry>): void {
    this.noticeBypass();
    const [mainVersion, inboxVersion] = this.versions();
    if (mainVersion !== this.seen.mainVersion || inboxVersion !== this.seen.inboxVersion) {
      const [main, inbox] = this.epochs.get()!;
      // Versions are recorded once the epochs are read: if that read throws, the next check reads them.
      this.seen.mainVersion = mainVersion;
      this.seen.inboxVersion = inboxVersion;
      if (main !== this.seen.main || inbox !== this.seen.inbox) {
        this.seen.main = main;
        this.seen.inbox = inbox;
        lru.clear();
      }
    }
  }

  /** A write that did not come through the write API changed this connection's files: we cannot tell what, so forget everything. */
  private noticeBypass(): void {
    const changes = this.totalChanges.get()!;
    if (changes === this.changesSeen) return;
    this.changesSeen = changes;
    this.bypasses++;
    this.lru?.clear();
  }

  /** The write API (writes.ts) is about to write: anything written since it last did was a bypass. */
  writeBegins(): void {
    this.noticeBypass();
  }

  /** The write API's transaction ended (committed or not): drop what it changed. */
  writeEnded(effect: Effect): void {
    this.changesSeen = this.totalChanges.get()!;
    if (effect === 'unseen') return;
    if (effect === 'everything') return this.clear();
    for (const c of Array.isArray(effect) ? (effect as readonly Changed[]) : [effect as Changed]) this.drop(c);
  }

  private drop(c: Changed): void {
    if (!this.lru) return;
    if (c.members) this.dropMembers(c.workspaceId, c.members);
    if (c.pages) this.dropPages(c.workspaceId, c.pages);
    if (c.neighbors) this.dropNeighbors(c.workspaceId, c.neighbors);
    if (c.blocks) for (const id of c.blocks) this.lru.delete(key('b', c.workspaceId, id));
    if (c.unlimitedKeys) for (const id of c.unlimitedKeys) this.dropUnlimitedKey(c.workspaceId, id);
  }

  /**
   * Moves an epoch, as the first statement of a write transaction on its file: it also takes
   * that file's write lock before anything is read (a deferred transaction that has read may
   * not upgrade after another process committed). Called by the write API only (writes.ts). If
   * the epoch had moved since this process last looked, another process wrote in between.
   */
  bump(epoch: Epoch): void {
    const n = this.bumps[epoch].get()!;
    if (n !== this.seen[epoch] + 1) this.lru?.clear();
    this.seen[epoch] = n;
  }

  member(ws: string, id: string): Member | undefined {
    const e = this.sync()?.get(key('m', ws, id));
    return e?.kind === 'member' ? e.member : undefined;
  }

  /** The cached members among `ids` (one freshness check for all), and the ids still to read. */
  members(ws: string, ids: readonly string[]): Lookup<Member> {
    return this.lookup('m', ws, ids, (e) => (e.kind === 'member' ? e.member : undefined));
  }

  keepMember(ws: string, member: Member): Member {
    Object.freeze(member);
    this.lru?.set(key('m', ws, member.id), { kind: 'member', member });
    return member;
  }

  private dropMembers(ws: string, ids: Iterable<string>): void {
    if (!this.lru) return;
    for (const id of ids) this.lru.delete(key('m', ws, id));
  }

  page(ws: string, profile: string, since: number, offset: number, limit: number): CachedPage | undefined {
    const e = this.sync()?.get(key('p', ws, profile));
    if (e?.kind !== 'pages') return undefined;
    return e.pages.find((p) => p.offset === offset && p.limit === limit && p.sinceFrom <= since && since <= p.sinceTo);
  }

  keepPage(ws: string, profile: string, page: CachedPage): void {
    if (!this.lru) return;
    for (const r of page.rows) Object.freeze(r);
    Object.freeze(page.rows);
    const k = key('p', ws, profile);
    const e = this.lru.get(k);
    const others = e?.kind === 'pages' ? e.pages.filter((p) => p.offset !== page.offset || p.limit !== page.limit || p.sinceTo < page.sinceFrom) : [];
    // Re-set (not mutate) so that the LRU recomputes the entry's size.
    this.lru.set(k, { kind: 'pages', pages: [page, ...others].slice(0, PAGES_PER_PROFILE) });
  }

  /** After visits to these profiles were stored. */
  private dropPages(ws: string, profiles: Iterable<string>): void {
    if (!this.lru) return;
    for (const p of profiles) this.lru.delete(key('p', ws, p));
  }

  /** The cached connection lists among `ids` (one freshness check for all), and the ids still to read. */
  neighbors(ws: string, ids: readonly string[]): Lookup<readonly string[]> {
    return this.lookup('n', ws, ids, (e) => (e.kind === 'neighbors' ? e.ids : undefined));
  }

  private lookup<T>(kind: 'm' | 'n', ws: string, ids: readonly string[], value: (e: Entry) => T | undefined): Lookup<T> {
    const lru = this.sync();
    const found = new Map<string, T>();
    const missing: string[] = [];
    for (const id of ids) {
      const e = lru?.get(key(kind, ws, id));
      const v = e && value(e);
      if (v !== undefined) found.set(id, v);
      else missing.push(id);
    }
    return { found, missing };
  }

  keepNeighbors(ws: string, id: string, ids: string[]): readonly string[] {
    const list = Object.freeze(ids);
    this.lru?.set(key('n', ws, id), { kind: 'neighbors', ids: list });
    return list;
  }

  private dropNeighbors(ws: string, ids: Iterable<string>): void {
    if (!this.lru) return;
    for (const id of ids) this.lru.delete(key('n', ws, id));
  }

  /**
   * The members blocked by or blocking this one (blocks.ts), asked by every list, page, insight
   * and notification of the member although blocks are rare: measured on the member page, the
   * lookup was about a tenth of the request's time.
   */
  blocksOf(ws: string, memberId: string): readonly string[] | undefined {
    const e = this.sync()?.get(key('b', ws, memberId));
    return e?.kind === 'blocks' ? e.ids : undefined;
  }

  keepBlocksOf(ws: string, memberId: string, ids: string[]): readonly string[] {
    const list = Object.freeze(ids);
    this.lru?.set(key('b', ws, memberId), { kind: 'blocks', ids: list });
    return list;
  }

  /** Whether this API key is known to have no balance (unlimited); a metered key is never kept. */
  isUnlimitedKey(ws: string, keyId: string): boolean {
    return this.sync()?.get(key('k', ws, keyId))?.kind === 'unlimited';
  }

  keepUnlimitedKey(ws: string, keyId: string): void {
    this.lru?.set(key('k', ws, keyId), { kind: 'unlimited' });
  }

  private dropUnlimitedKey(ws: string, keyId: string): void {
    this.lru?.delete(key('k', ws, keyId));
  }

  /** After a write whose reach is wide (erasing a member removes them from other members' visitor lists): forget everything. */
  private clear(): void {
    this.lru?.clear();
  }
}
