/**
 * Retention (docs/privacy-controls.md, "Retention"): visits older than a workspace's
 * `retentionDays` leave the log and every projection; pairs losing some visits are recounted
 * (count, first view), pairs losing all leave lists and totals; the purge is idempotent,
 * carries on after being stopped midway, drops whole PostgreSQL months when every workspace
 * is past them, and `profile-visitors purge --dry-run` says what would go without changing it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeExpiredVisits, type Store } from '../src/core/index.js';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { auth, expectNativeError, postBatch, until } from './support/assertions.js';
import { runCli } from './support/processes.js';
import { SURFACES, entriesOf } from './fixtures/surfaces.js';
import { listPartitions } from '../src/storage/postgres/partitions.js';
import type { PostgresStore } from '../src/storage/postgres/postgres-store.js';

const DAY = 86_400_000;

describe.each(BACKENDS)('retention on $name', (backend) => {
  let t: TestApp;
  let shortKey: string;
  let longKey: string;
  let now0: number;
  let now1: number;

  /** Visits pending in the SQLite inbox are folded before a purge's counts are compared. */
  const settle = async () => {
    const visits = t.store.visits as Store['visits'] & { pending?: () => number };
    if (visits.pending) expect(await until(() => visits.pending!() === 0, 20_000)).toBe(true);
  };
  /** The summary as stored: every viewer ever (since 0), open-ended, and the same from raw visits. */
  const stored = async (ws: string, owner: string) => {
    const q = { workspaceId: ws, profileId: owner, since: 0, offset: 0, limit: 100 };
    const summary = await t.store.visits.listViewers({ ...q, until: null });
    const raw = await t.store.visits.listViewers({ ...q, until: now1 + DAY });
    const rows = (p: typeof summary) => p.rows.map((r) => [r.viewerId, r.viewCount, r.firstViewedAt, r.lastViewedAt]);
    expect(rows(raw)).toEqual(rows(summary));
    expect(raw.total).toBe(summary.total);
    return { total: summary.total, rows: rows(summary) };
  };

  beforeAll(async () => {
    t = await startTestApp(backend);
    now0 = t.clock.now();
    shortKey = await t.adminKey('short');
    longKey = await t.adminKey('long');
    const patch = await t.request('PATCH', '/v1/workspace/settings', {
      headers: auth(shortKey),
      body: { retentionDays: 30, premiumHistoryDays: 30, freeHistoryDays: 30 },
    });
    expect(patch.status, patch.text).toBe(200);
    await t.members('short', ['owner', 'va', 'vb', 'vc'].map((id) => ({ id, name: id, plan: 'premium' as const })));
    await t.members('long', ['owner', 'vx', 'vy'].map((id) => ({ id, name: id, plan: 'premium' as const })));
    await postBatch(t, shortKey, [
      { id: 'a1', profileId: 'owner', viewerId: 'va', viewedAt: now0 - 25 * DAY },
      { profileId: 'owner', viewerId: 'va', viewedAt: now0 - 24 * DAY },
      { profileId: 'owner', viewerId: 'vb', viewedAt: now0 - 28 * DAY },
      { profileId: 'owner', viewerId: 'vb', viewedAt: now0 - 5 * DAY },
      { profileId: 'owner', viewerId: 'vc', viewedAt: now0 - 3 * DAY },
    ]);
    await postBatch(t, longKey, [
      { profileId: 'owner', viewerId: 'vx', viewedAt: now0 - 25 * DAY },
      { profileId: 'owner', viewerId: 'vy', viewedAt: now0 - 1 * DAY },
    ]);
    // 40 days on: every visit of `short` so far is past its 30 days; two pairs come back.
    t.clock.advance(40 * DAY);
    now1 = t.clock.now();
    await postBatch(t, shortKey, [
      { profileId: 'owner', viewerId: 'vb', viewedAt: now1 - 3 * DAY },
      { profileId: 'owner', viewerId: 'vb', viewedAt: now1 - 1 * DAY },
      { profileId: 'owner', viewerId: 'vc', viewedAt: now1 - 2 * DAY },
    ]);
    await settle();
  });
  afterAll(() => t?.close());

  const deps = () => ({ store: t.store, clock: t.clock });
  /** The times of a workspace's visit log entries. */
  const logTimes = async (ws: string) => (await t.store.visitLog.read(ws, 0, 10_000)).map((e) => e.viewedAt);

  it('refuses a retention shorter than a plan history, with a 400 naming retentionDays', async () => {
    const res = await t.request('PATCH', '/v1/workspace/settings', { headers: auth(longKey), body: { retentionDays: 100 } });
    expectNativeError(res, 400, /retentionDays .* at least .*365/);
    expect(res.body.error.details).toEqual({ field: 'retentionDays' });
  });

  it('a dry run counts what would go and changes nothing', async () => {
    const before = await stored('short', 'owner');
    const report = await purgeExpiredVisits(deps(), { dryRun: true });
    expect(report.workspaces.find((w) => w.workspaceId === 'short')).toMatchObject({ visits: 5, pairsRemoved: 1, pairsChanged: 2, logEntries: 5, cutoff: now1 - 30 * DAY });
    expect(report.workspaces.find((w) => w.workspaceId === 'long')).toMatchObject({ visits: 0, pairsRemoved: 0, pairsChanged: 0 });
    expect(await stored('short', 'owner')).toEqual(before);
    // Insights count the two visits of 43 and 45 days ago in the previous 30 days, until the purge.
    const insights = await t.request('GET', '/v1/members/owner/insights?range=30d', { headers: auth(shortKey) });
    expect(insights.status, insights.text).toBe(200);
    expect([insights.body.views, insights.body.previous.views]).toEqual([3, 2]);
  });

  it('a purge stopped midway leaves whole batches; the next one finishes; summaries, totals and lists are right', async () => {
    let batches = 0;
    await expect(
      purgeExpiredVisits(deps(), {
        batch: 2,
        pause: async () => {
          // The 1st pause follows `long`'s (empty) batch of visits, the 2nd the first batch of `short`.
          if (++batches === 2) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    const done = await purgeExpiredVisits(deps());
    const short = done.workspaces.find((w) => w.workspaceId === 'short')!;
    // Two of the five went in the stopped run.
    expect(short.visits).toBe(3);
    expect(await stored('short', 'owner')).toEqual({
      total: 2,
      rows: [
        ['vb', 2, now1 - 3 * DAY, now1 - 1 * DAY],
        ['vc', 1, now1 - 2 * DAY, now1 - 2 * DAY],
      ],
    });
    // The API says the same; `long` is untouched.
    const list = await t.request('GET', '/v1/members/owner/visitors', { headers: auth(shortKey) });
    expect(list.body.total).toBe(2);
    expect(list.body.viewers.map((v: any) => [v.viewer.id, v.viewCount])).toEqual([
      ['vb', 2],
      ['vc', 1],
    ]);
    expect((await stored('long', 'owner')).total).toBe(2);
    // Every API lists the same two (va, whose visits all went, is on none of them).
    for (const surface of SURFACES) {
      const { entries } = await entriesOf(surface, t, { key: shortKey, ownerId: 'owner', admin: true }, { limit: 20 });
      expect(entries.map((e) => e.label), surface.name).toEqual(['vb', 'vc']);
    }

    // Insights lost them too: purged visits count nowhere.
    const insights = await t.request('GET', '/v1/members/owner/insights?range=30d', { headers: auth(shortKey) });
    expect([insights.body.views, insights.body.previous.views]).toEqual([3, 0]);

    // The visit log lost the same visits: a rebuild or a projection cannot bring them back.
    expect((await logTimes('short')).sort()).toEqual([now1 - 3 * DAY, now1 - 2 * DAY, now1 - 1 * DAY].sort());
    expect(await logTimes('long')).toHaveLength(2);

    // Idempotent: nothing more to do.
    const again = await purgeExpiredVisits(deps());
    expect(again.workspaces.map((w) => [w.workspaceId, w.visits, w.pairsRemoved, w.pairsChanged, w.logEntries])).toEqual([
      ['long', 0, 0, 0, 0],
      ['short', 0, 0, 0, 0],
    ]);
    // The purged client id is gone with its visit: the id may be used again.
    const reuse = await t.request('POST', '/v1/visits', { headers: auth(shortKey), body: { id: 'a1', profileId: 'owner', viewerId: 'va', viewedAt: now1 - DAY } });
    expect(reuse.status, reuse.text).toBe(201);
    const audit = await t.request('GET', '/v1/audit', { headers: auth(shortKey) });
    expect(audit.body.entries.filter((e: any) => e.action === 'visits.purged').map((e: any) => [e.actorKeyId, e.target])).toEqual([[null, 'short']]);
  });

  it('when every workspace is past a month, PostgreSQL drops it whole; the summaries follow on both backends', async () => {
    const patch = await t.request('PATCH', '/v1/workspace/settings', {
      headers: auth(longKey),
      body: { retentionDays: 30, premiumHistoryDays: 30, freeHistoryDays: 30 },
    });
    expect(patch.status, patch.text).toBe(200);
    const pg = backend.name === 'postgres' ? (t.store as PostgresStore) : undefined;
    const october = 'visits_y2026m10';
    if (pg) expect((await listPartitions(pg.db.pool)).map((p) => p.name)).toContain(october);
    const report = await purgeExpiredVisits(deps());
    if (pg) {
      expect(report.rangesDropped).toBeGreaterThanOrEqual(1);
      expect((await listPartitions(pg.db.pool)).map((p) => p.name)).not.toContain(october);
    }
    expect(await stored('long', 'owner')).toEqual({ total: 0, rows: [] });
    expect(await logTimes('long')).toEqual([]);
    // `short` keeps what is recent.
    expect((await stored('short', 'owner')).total).toBe(3);
    // Recording goes on, into months that exist or are made again.
    await postBatch(t, longKey, [{ profileId: 'owner', viewerId: 'vx', viewedAt: now1 - 2 * DAY }]);
    await settle();
    expect((await stored('long', 'owner')).rows).toEqual([['vx', 1, now1 - 2 * DAY, now1 - 2 * DAY]]);
  });

  it('profile-visitors purge --dry-run says what would go, per workspace, and changes nothing', { timeout: 60_000 }, async () => {
    const env = { DATABASE_URL: t.databaseUrl, LOG_LEVEL: 'warn' };
    const before = await stored('short', 'owner');
    const text = await runCli(['purge', '--dry-run'], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^long: retention 30 days \(before .*\): would remove \d+ visit\(s\); \d+ viewer\(s\) would leave a visitor list, \d+ would be recounted; \d+ visit log entr(y|ies)$/m);
    expect(text.stdout).toMatch(/^short: retention 30 days/m);
    const json = await runCli(['purge', '--dry-run', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.dryRun).toBe(true);
    expect(report.workspaces.map((w: any) => w.workspaceId)).toEqual(['long', 'short']);
    expect(await stored('short', 'owner')).toEqual(before);
  });
});
