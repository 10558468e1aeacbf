/**
 * Rows of the visitor list's hot path, kept in this process: member cards and visitor pages
 * with their totals. SQLite answers a random row of the bench dataset in 5 to
 * 9 µs (a B-tree descent through pages the OS has cached, then decoding the columns); a list
 * page touches about a dozen such rows, which was two thirds of a list request's CPU. Requests
 * follow popularity (a few owners are read far more than the rest), so most of them find
 * everything here.
 *
 * Coherence is exact, not time-based:
 * - every write of this process goes through the store classes, which drop what they changed
 *   inside the same synchronous block as the commit, so before the write is acknowledged;
 * - a commit by any other connection (another `WORKERS` process, the CLI) moves
 *   `PRAGMA data_version`, which every read checks first (under 1 µs); then everything is
 *   dropped, since we cannot tell what that commit changed.
 * better-sqlite3 is synchronous, so a read and the fill that follows it cannot be split by a
 * write of this process.
 *
 * Cached objects are frozen: callers share them.
 */
import { LRUCache } from 'lru-cache';
import type { Member, ViewerSummary } from '../../core/index.js';
import type { SqliteDb } from './database.js';

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

type Entry = { kind: 'member'; member: Member } | { kind: 'pages'; pages: CachedPage[] };

/** Different windows and page sizes asked of one profile (a plan's horizon, a time range filter, ...). */
const PAGES_PER_PROFILE = 6;

const key = (kind: 'm' | 'p', ws: string, id: string) => `${kind}\u0000${ws}\u0000${id}`;

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
  }
}

export class ReadCache {
  private lru: LRUCache<string, Entry> | null;
  private version;
  private lastVersion: number;

  /** `maxBytes` 0 turns caching off (every read goes to SQLite). */
  constructor(db: SqliteDb, maxBytes: number) {
    this.lru = maxBytes > 0 ? new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: sizeOf }) : null;
    this.version = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.lastVersion = this.version.get()!;
  }

  /** Called before every read: drops everything when another connection has committed since. */
  private sync(): LRUCache<string, Entry> | null {
    if (!this.lru) return null;
    const v = this.version.get()!;
    if (v !== this.lastVersion) {
      this.lastVersion = v;
      this.lru.clear();
    }
    return this.lru;
  }

  member(ws: string, id: string): Member | undefined {
    const e = this.sync()?.get(key('m', ws, id));
    return e?.kind === 'member' ? e.member : undefined;
  }

  /** The cached members among `ids` (one freshness check for all), and the ids still to read. */
  members(ws: string, ids: readonly string[]): { found: Map<string, Member>; missing: string[] } {
    const lru = this.sync();
    if (!lru) return { found: new Map(), missing: [...ids] };
    const found = new Map<string, Member>();
    const missing: string[] = [];
    for (const id of ids) {
      const e = lru.get(key('m', ws, id));
      if (e?.kind === 'member') found.set(id, e.member);
      else missing.push(id);
    }
    return { found, missing };
  }

  keepMember(ws: string, member: Member): Member {
    Object.freeze(member);
    this.lru?.set(key('m', ws, member.id), { kind: 'member', member });
    return member;
  }

  dropMembers(ws: string, ids: Iterable<string>): void {
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
  dropPages(ws: string, profiles: Iterable<string>): void {
    if (!this.lru) return;
    for (const p of profiles) this.lru.delete(key('p', ws, p));
  }

  /** After a write whose reach is wide (erasing a member removes them from other members' visitor lists): forget everything. */
  clear(): void {
    this.lru?.clear();
  }
}
