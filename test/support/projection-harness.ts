/**
 * The trials every projection of the visit log goes through, on every backend
 * (docs/visit-log.md): replay from zero, apply twice, a crash mid-way, and a comparison with a
 * from-scratch rebuild. A new projection adds one `ProjectionCase` to `projectionCases` below
 * (how to find it on a store, and a canonical dump of what it built); test/projections.test.ts
 * runs them all.
 */
import type Database from 'better-sqlite3';
import {
  ProjectionRunner,
  rebuildProjection,
  type AcceptedVisit,
  type Projection,
  type Store,
  type VisitLogEntry,
} from '../../src/core/index.js';
import type { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { PgCheckpoints } from '../../src/storage/postgres/projection-checkpoints.js';
import { SqliteCheckpoints } from '../../src/storage/sqlite/projection-checkpoints.js';
import type { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';

export interface ProjectionCase {
  name: string;
  /** The projection on this store (registered by the store, or made for the test). */
  of(store: Store): Promise<Projection>;
  /** What it built, in a canonical order, for comparisons. */
  snapshot(store: Store): Promise<unknown>;
}

const sqliteOf = (store: Store) => (store.kind === 'sqlite' ? (store as SqliteStore) : null);
const pgOf = (store: Store) => (store.kind === 'postgres' ? (store as PostgresStore) : null);

/** The summary (per profile and viewer) and the day histogram; on SQLite the raw visits the fold writes too. */
export const summaryCase: ProjectionCase = {
  name: 'summary',
  async of(store) {
    return store.projections.find((p) => p.name === 'summary')!;
  },
  async snapshot(store) {
    const summary = 'SELECT workspace_id, profile_id, viewer_id, view_count, first_viewed_at, last_viewed_at, last_source FROM visitor_summary ORDER BY 1, 2, 3';
    // Days whose count went back to zero may stay as rows: they mean the same as no row.
    const days = 'SELECT workspace_id, profile_id, day, viewers FROM viewer_day_counts WHERE viewers <> 0 ORDER BY 1, 2, 3';
    const s = sqliteOf(store);
    if (s) {
      const raw = s.raw as Database.Database;
      return {
        summary: raw.prepare(summary).all(),
        days: raw.prepare(days).all(),
        visits: raw.prepare('SELECT id, workspace_id, profile_id, viewer_id, viewed_at, source, client_id FROM main.visits ORDER BY id').all(),
      };
    }
    const p = pgOf(store)!;
    return { summary: await p.db.query(summary), days: await p.db.query(days) };
  },
};

/**
 * A projection made for the tests, driven by the projection runner through the backends'
 * checkpoint helpers, as a new feature's projection would be: visits per profile. `failOn`
 * makes it throw on one entry, as a projection with a bug would.
 */
export function profileCountsProjection(store: Store, failOn?: (e: VisitLogEntry) => boolean): Projection {
  const name = 'test-profile-counts';
  const check = (entries: readonly VisitLogEntry[]) => {
    for (const e of entries) if (failOn?.(e)) throw new Error(`cannot apply the visit at position ${e.position}`);
  };
  const s = sqliteOf(store);
  if (s) {
    s.raw.exec('CREATE TABLE IF NOT EXISTS main.test_profile_counts (workspace_id TEXT, profile_id TEXT, n INTEGER, PRIMARY KEY (workspace_id, profile_id))');
    const cps = new SqliteCheckpoints(s.raw);
    const add = s.raw.prepare<[string, string]>(
      'INSERT INTO main.test_profile_counts (workspace_id, profile_id, n) VALUES (?, ?, 1) ON CONFLICT DO UPDATE SET n = n + 1',
    );
    return {
      name,
      drivenBy: 'runner',
      checkpoint: async (ws) => cps.read(name, ws),
      apply: (ws, entries) =>
        cps.applyLogged(s.writes, name, ws, entries, (fresh) => {
          check(fresh);
          for (const e of fresh) add.run(e.workspaceId, e.profileId);
        }),
      reset: () =>
        s.writes.main('unseen', () => {
          cps.resetAll(name);
          s.raw.exec('DELETE FROM main.test_profile_counts');
        }),
    };
  }
  const p = pgOf(store)!;
  const cps = new PgCheckpoints(p.db);
  // Two processes creating it at once: one of them may fail on the catalog, the table is there.
  const ready = p.db
    .query('CREATE TABLE IF NOT EXISTS test_profile_counts (workspace_id text, profile_id text, n int, PRIMARY KEY (workspace_id, profile_id))')
    .catch(() => {});
  return {
    name,
    drivenBy: 'runner',
    checkpoint: async (ws) => {
      await ready;
      return cps.read(name, ws);
    },
    apply: async (ws, entries) => {
      await ready;
      await cps.applyLogged(name, ws, entries, async (c, fresh) => {
        check(fresh);
        for (const e of fresh) {
          await c.query(
            'INSERT INTO test_profile_counts (workspace_id, profile_id, n) VALUES ($1, $2, 1) ON CONFLICT (workspace_id, profile_id) DO UPDATE SET n = test_profile_counts.n + 1',
            [e.workspaceId, e.profileId],
          );
        }
      });
    },
    reset: async () => {
      await ready;
      await p.db.transaction(async (c) => {
        await cps.resetAll(c, name);
        await c.query('DELETE FROM test_profile_counts');
      });
    },
  };
}

export const profileCountsCase: ProjectionCase = {
  name: 'test-profile-counts',
  async of(store) {
    const existing = store.projections.find((p) => p.name === 'test-profile-counts');
    if (existing) return existing;
    const p = profileCountsProjection(store);
    store.projections.push(p);
    return p;
  },
  async snapshot(store) {
    const sql = 'SELECT workspace_id, profile_id, n FROM test_profile_counts ORDER BY 1, 2';
    const s = sqliteOf(store);
    if (s) return s.raw.prepare(sql).all();
    return pgOf(store)!.db.query(sql);
  },
};

/** Every projection the harness tries. New projections add their case here. */
/** The insights projection (docs/insights.md): views per profile and slot, and per profile, slot, viewer and source. */
export const insightsCase: ProjectionCase = {
  name: 'insights',
  async of(store) {
    return store.projections.find((p) => p.name === 'insights')!;
  },
  async snapshot(store) {
    // Counts back at zero (an erase) mean the same as no row.
    const slots = 'SELECT workspace_id, profile_id, slot, views FROM insight_slots WHERE views <> 0 ORDER BY 1, 2, 3';
    const viewers = 'SELECT workspace_id, profile_id, slot, viewer_id, source, views FROM insight_viewer_slots ORDER BY 1, 2, 3, 4, 5';
    const s = sqliteOf(store);
    if (s) {
      const raw = s.raw as Database.Database;
      return { slots: raw.prepare(slots).all(), viewers: raw.prepare(viewers).all() };
    }
    const p = pgOf(store)!;
    return { slots: await p.db.query(slots), viewers: await p.db.query(viewers) };
  },
};

export const projectionCases: ProjectionCase[] = [summaryCase, profileCountsCase, insightsCase];

/** Every entry of every workspace, in position order within each. */
export async function wholeLog(store: Store): Promise<VisitLogEntry[]> {
  const out: VisitLogEntry[] = [];
  for (const head of await store.visitLog.heads()) {
    for (let from = 0; ; ) {
      const batch = await store.visitLog.read(head.workspaceId, from, 1_000);
      if (batch.length === 0) break;
      out.push(...batch);
      from = batch.at(-1)!.position;
    }
  }
  return out;
}

/**
 * Applies `entries` in batches of `size`, merged across workspaces by position (a projection
 * whose checkpoint is one for all workspaces, the SQLite summary's, needs that order; the
 * others only need each workspace's own order).
 */
export async function applyInOrder(p: Projection, entries: readonly VisitLogEntry[], size: number): Promise<void> {
  const sorted = [...entries].sort((a, b) => a.position - b.position || a.workspaceId.localeCompare(b.workspaceId));
  for (let i = 0; i < sorted.length; ) {
    const ws = sorted[i]!.workspaceId;
    let j = i;
    while (j < sorted.length && j - i < size && sorted[j]!.workspaceId === ws) j++;
    await p.apply(ws, sorted.slice(i, j));
    i = j;
  }
}

/** Brings a projection up to the log's head: the runner for runner-driven ones, else waits for the store. */
export async function catchUp(store: Store, p: Projection, timeoutMs = 60_000): Promise<void> {
  const runner = new ProjectionRunner(store.visitLog, [p]);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    store.beginRequest?.();
    if (p.drivenBy === 'runner') await runner.runOnce();
    const lag = await runner.lag(Date.now());
    if (lag.every((l) => l.entries === 0)) return;
    if (Date.now() > deadline) throw new Error(`${p.name} did not catch up: ${JSON.stringify(lag)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export { rebuildProjection };

/** A deterministic mix: repeated pairs (some inside the dedup window), client ids, replays, two workspaces. */
export function visitMix(seed: number, n: number, t0: number): { ws: string; visits: AcceptedVisit[] }[] {
  let x = seed;
  const rnd = (k: number) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % k;
  };
  const sources = ['search', 'profile', 'feed', 'other'] as const;
  const out: { ws: string; visits: AcceptedVisit[] }[] = [];
  for (let i = 0; i < n; ) {
    const ws = rnd(3) === 0 ? 'ws-b' : 'ws-a';
    const size = rnd(4) === 0 ? 1 + rnd(40) : 1;
    const visits: AcceptedVisit[] = [];
    for (let k = 0; k < size && i < n; k++, i++) {
      const profile = `p${rnd(6)}`;
      let viewer = `v${rnd(12)}`;
      if (viewer === profile) viewer = 'v99';
      visits.push({
        clientId: rnd(3) === 0 ? `c${rnd(n)}` : null,
        profileId: profile,
        viewerId: viewer,
        viewedAt: t0 + rnd(20) * 43_200_000 + rnd(5) * 1_000,
        source: sources[rnd(4)]!,
      });
    }
    out.push({ ws, visits });
  }
  return out;
}
