import type pg from 'pg';
import { pgCode, type PgDatabase } from './database.js';

/** Serializes partition creation and removal across every process on the database. */
const PARTITION_LOCK = "hashtextextended('profile-visitors:visit-partitions', 0)";

export interface MonthPartition {
  name: string;
  /** Inclusive lower bound, epoch ms (first instant of the month, UTC). */
  from: number;
  /** Exclusive upper bound, epoch ms (first instant of the next month, UTC). */
  to: number;
}

/** The monthly partition of `visits` that holds a visit at `ms`. */
export function monthPartition(ms: number): MonthPartition {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return { name: `visits_y${String(y).padStart(4, '0')}m${String(m + 1).padStart(2, '0')}`, from: Date.UTC(y, m, 1), to: Date.UTC(y, m + 1, 1) };
}

/** "no partition of relation "visits" found for row": a partition was dropped under our cache. */
export function isMissingPartition(err: unknown): boolean {
  return pgCode(err) === '23514' && err instanceof Error && /no partition of relation/i.test(err.message);
}

/**
 * Monthly RANGE partitions of `visits` on `viewed_at`, created on demand before a write needs
 * them. A new partition is created as a plain table and then attached: ATTACH PARTITION takes
 * only a SHARE UPDATE EXCLUSIVE lock on `visits`, so inserts and reads of other months carry
 * on while it runs (CREATE TABLE ... PARTITION OF would take ACCESS EXCLUSIVE). The set of
 * partitions known to exist is cached per process; a write that finds one missing (dropped by
 * another process's purge) clears the cache, recreates it and retries.
 */
export class VisitPartitions {
  private known = new Set<string>();

  constructor(private db: PgDatabase) {}

  /** Makes sure a partition exists for each of these instants. */
  async ensureFor(times: Iterable<number>): Promise<void> {
    const wanted = new Map<string, MonthPartition>();
    for (const t of times) {
      const p = monthPartition(t);
      if (!this.known.has(p.name)) wanted.set(p.name, p);
    }
    if (wanted.size === 0) return;
    await this.db.transaction(async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(${PARTITION_LOCK})`);
      const existing = new Set((await listPartitions(c)).map((p) => p.name));
      for (const p of [...wanted.values()].sort((a, b) => a.from - b.from)) {
        if (existing.has(p.name)) continue;
        await c.query(`CREATE TABLE ${p.name} (LIKE visits INCLUDING DEFAULTS)`);
        await c.query(`ALTER TABLE visits ATTACH PARTITION ${p.name} FOR VALUES FROM (${p.from}) TO (${p.to})`);
      }
    });
    for (const name of wanted.keys()) this.known.add(name);
  }

  forget(): void {
    this.known.clear();
  }

  /**
   * Retention: drops every partition whose months end at or before `cutoff` (epoch ms), with
   * the client ids of the visits they held. Rows of a month that straddles the cutoff stay (a
   * per-workspace purge deletes those). Returns the names of the partitions dropped.
   */
  async dropBefore(cutoff: number): Promise<string[]> {
    const dropped = await this.db.transaction(async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(${PARTITION_LOCK})`);
      const old = (await listPartitions(c)).filter((p) => p.to <= cutoff);
      for (const p of old) await c.query(`DROP TABLE ${p.name}`);
      if (old.length > 0) {
        const upTo = Math.max(...old.map((p) => p.to));
        await c.query('DELETE FROM visit_client_ids WHERE workspace_id IN (SELECT id FROM workspaces) AND viewed_at < $1', [upTo]);
      }
      return old.map((p) => p.name);
    });
    for (const name of dropped) this.known.delete(name);
    return dropped;
  }
}

/** The partitions attached to `visits`, with their bounds read from the catalog. */
export async function listPartitions(c: pg.ClientBase | PgDatabase['pool']): Promise<MonthPartition[]> {
  const { rows } = await c.query<{ name: string; bound: string }>(`
    SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'visits'::regclass ORDER BY c.relname`);
  const out: MonthPartition[] = [];
  for (const r of rows) {
    const m = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/.exec(r.bound);
    if (m) out.push({ name: r.name, from: Number(m[1]), to: Number(m[2]) });
  }
  return out;
}
