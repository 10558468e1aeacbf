/**
 * The export's viewers are paged by cursor (docs/privacy-controls.md, "Export"): with pages far
 * smaller than the list they are exactly the visitor list the member reads through the API
 * (blocks, plan blur by rank, hidden entries), and visits recorded while an export runs neither
 * repeat nor skip anyone: the export is the list as it stood when it began. Both backends; on
 * SQLite also with visits still pending in the inbox, merged across page boundaries.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWorkspace, exportMember, listViewers, recordVisits, type CoreDeps, type ExportRecord, type Workspace } from '../src/core/index.js';
import { presentViewer } from '../src/http/native/presenters.js';
import { foldPending } from '../src/storage/sqlite/fold.js';
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { allVisitors, auth, postBatch } from './support/assertions.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const VIEWERS = 23;

const viewerId = (i: number) => `c-v${String(i).padStart(2, '0')}`;

/** The viewers of an export read through the core with `pageSize`, as the API presents them. */
async function exportedViewers(deps: CoreDeps, ws: Workspace, memberId: string, pageSize: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const r of exportMember(deps, ws, memberId, { pageSize })) if (r.kind === 'viewer') out.push(presentViewer(r.viewer));
  return out;
}

describe.each(BACKENDS)('export paged by cursor on $name', (backend) => {
  let t: TestApp;
  let admin: string;
  let ownerKey: string;
  let deps: CoreDeps;
  let ws: Workspace;
  let now: number;
  const WS = 'cursor';
  const OWNER = 'c-owner';

  beforeAll(async () => {
    t = await startTestApp(backend);
    now = t.clock.now();
    deps = { store: t.store, clock: t.clock };
    admin = await t.adminKey(WS);
    await t.members(WS, [
      { id: OWNER, name: 'Cursor Owner', plan: 'free' },
      { id: 'c-blocked', name: 'Blocked' },
      { id: 'c-private', name: 'Private SECRET', visibility: 'private', company: 'SECRETCO' },
    ]);
    const visits: unknown[] = [];
    for (let i = 0; i < VIEWERS; i++) {
      // Every fourth viewer anonymous (characteristics only); two pairs at the same instant,
      // so runs of equal times cross page boundaries.
      const at = now - (i + 10 - (i === 7 || i === 12 ? 1 : 0)) * HOUR;
      visits.push({ profileId: OWNER, viewerId: viewerId(i), viewedAt: at, viewer: { name: `Viewer ${i}`, company: `Co ${i}`, visibility: i % 4 === 3 ? 'characteristics' : 'full' } });
    }
    // Three anonymous viewers at one instant, whose labels sort against their ids: a page
    // boundary inside the run would show them in id order (store order), not the list's.
    for (const [id, company] of [['c-t1', 'Zeta'], ['c-t2', 'Mid'], ['c-t3', 'Alpha']]) {
      visits.push({ profileId: OWNER, viewerId: id, viewedAt: now - 15 * HOUR - 30 * MIN, viewer: { name: id, company, visibility: 'characteristics' } });
    }
    // Seen before the free plan's horizon too: counted within it only.
    visits.push({ profileId: OWNER, viewerId: viewerId(5), viewedAt: now - 200 * DAY });
    visits.push({ profileId: OWNER, viewerId: 'c-private', viewedAt: now - 3 * MIN });
    visits.push({ profileId: OWNER, viewerId: 'c-blocked', viewedAt: now - 4 * MIN });
    await postBatch(t, admin, visits);
    const block = await t.request('PUT', `/v1/members/${OWNER}/blocks/c-blocked`, { headers: auth(admin) });
    expect(block.status, block.text).toBe(200);
    ownerKey = await t.memberKey(WS, OWNER);
    ws = await t.workspace(WS);
  });
  afterAll(() => t?.close());

  it('with pages of 1 to 100 rows, holds exactly the visitor list read through the API', async () => {
    const listed = await allVisitors(t, ownerKey, OWNER);
    // One page (the API's limit is 100): the list as the API renders it at once.
    expect(listed.viewers.length).toBe(VIEWERS + 4);
    // The plan's blur followed the rank across pages: five in full, the rest blurred.
    expect(listed.viewers.filter((v: any) => v.blurred).length).toBe(VIEWERS + 4 - 5);
    const run = listed.viewers.filter((v: any) => v.lastViewedAt === now - 16 * HOUR && /Alpha|Mid|Zeta/.test(v.label));
    expect(run.map((v: any) => v.label.match(/Alpha|Mid|Zeta/)![0])).toEqual(['Alpha', 'Mid', 'Zeta']);
    expect(JSON.stringify(listed.viewers).includes('c-blocked')).toBe(false);
    for (const pageSize of [1, 3, 4, 7, 100]) expect(await exportedViewers(deps, ws, OWNER, pageSize), `pages of ${pageSize}`).toEqual(listed.viewers);
  });

  it('is the list as it stood when it began, whatever is recorded meanwhile: nobody twice, nobody skipped', async () => {
    const before = (await allVisitors(t, ownerKey, OWNER)).viewers;
    const records = exportMember(deps, ws, OWNER, { pageSize: 4 });
    const got: unknown[] = [];
    // Read up to the first viewer: the first page (4 rows) is read, the rest is not.
    for (let r = await records.next(); !r.done; r = await records.next()) {
      if ((r.value as ExportRecord).kind === 'viewer') {
        got.push(presentViewer((r.value as Extract<ExportRecord, { kind: 'viewer' }>).viewer));
        break;
      }
    }
    // Meanwhile (the first page ended with the viewer seen 12 hours ago): the last viewer
    // views again and jumps to the top, one already exported views again, a viewer further
    // down views again at an earlier time that puts them among the rows already exported
    // (10.5 hours ago), and a newcomer arrives.
    const recorded = await postBatch(t, admin, [
      { profileId: OWNER, viewerId: viewerId(VIEWERS - 1), viewedAt: now },
      { profileId: OWNER, viewerId: viewerId(0), viewedAt: now - 30_000 },
      { profileId: OWNER, viewerId: viewerId(15), viewedAt: now - 10 * HOUR - 30 * MIN },
      { profileId: OWNER, viewerId: 'c-newcomer', viewedAt: now - 20_000, viewer: { name: 'Newcomer' } },
    ]);
    expect(recorded.recorded).toBe(4);
    for (let r = await records.next(); !r.done; r = await records.next()) {
      if (r.value.kind === 'viewer') got.push(presentViewer(r.value.viewer));
    }
    expect(got).toEqual(before);
    // The list itself has moved on: the late viewer leads it, the newcomer is in it.
    const after = (await allVisitors(t, ownerKey, OWNER)).viewers;
    expect(after[0].viewer?.id).toBe(viewerId(VIEWERS - 1));
    expect(after.some((v: any) => v.viewer?.id === 'c-newcomer')).toBe(true);
    expect(after.length).toBe(before.length + 1);
  });
});

/**
 * SQLite lists merge the inbox's pending views into the folded summary: a viewer with pending
 * views has a merged row in place of their folded one, wherever the page boundaries fall.
 */
describe('export paged by cursor over pending visits on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pv-export-cursor-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('equals the list with some viewers folded, some pending, some both', async () => {
    const store = openSqliteStore({ path: join(dir, 'pending.db'), synchronous: 'normal', migrate: true, readCacheBytes: 1 << 20, fold: 'manual' });
    try {
      const now = Date.UTC(2026, 10, 1);
      const deps: CoreDeps = { store, clock: { now: () => now } };
      const ws = await ensureWorkspace(deps, 'w');
      const ids = Array.from({ length: 30 }, (_, i) => `v${String(i).padStart(2, '0')}`);
      await store.members.upsert('w', [{ id: 'o', plan: 'free' }, ...ids.map((id, i) => ({ id, name: id, visibility: i % 5 === 4 ? ('private' as const) : ('full' as const) }))], 'replace', now);
      await recordVisits(deps, ws, ids.map((id, i) => ({ profileId: 'o', viewerId: id, viewedAt: now - (i + 1) * 10 * MIN })));
      foldPending(store.raw, 1000);
      // Pending: new views of folded viewers (up to the top, and within the list), new viewers.
      await recordVisits(deps, ws, [
        { profileId: 'o', viewerId: 'v20', viewedAt: now - MIN },
        { profileId: 'o', viewerId: 'v09', viewedAt: now - 45 * MIN },
        { profileId: 'o', viewerId: 'p1', viewedAt: now - 125 * MIN, viewer: { name: 'p1' } },
        { profileId: 'o', viewerId: 'p2', viewedAt: now - 500 * MIN, viewer: { name: 'p2' } },
      ]);
      const whole = await listViewers(deps, ws, { ownerId: 'o', offset: 0, limit: 1000 });
      expect(whole.viewers.length).toBe(32);
      for (const pageSize of [1, 2, 5, 8]) expect(await exportedViewers(deps, ws, 'o', pageSize), `pages of ${pageSize}`).toEqual(whole.viewers.map(presentViewer));
      foldPending(store.raw, 1000);
      expect(await exportedViewers(deps, ws, 'o', 3)).toEqual(whole.viewers.map(presentViewer));
    } finally {
      await store.close();
    }
  });
});
