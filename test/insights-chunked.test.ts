/**
 * SQLite answers synchronously, so a profile's breakdowns over hundreds of thousands of viewers
 * would hold the server's one thread for seconds. The range's viewers are read in chunks with a
 * turn of the event loop between them (docs/insights.md, "Cost"). Here, more viewers than one
 * chunk, with chunk boundaries inside slots and viewers seen through two sources: the figures
 * are exact against the recorded visits, and other work runs while they are read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteBackend } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { auth, postBatch } from './support/assertions.js';
import { RANGE_CHUNK } from '../src/storage/sqlite/insights.js';
import { slotOf, type MemberInput } from '../src/core/index.js';

const NOW = Date.UTC(2026, 10, 1, 12, 0, 0);
const COMPANIES = ['Acme', 'Beta', 'Corp', 'Delta', 'Echo', 'Foxtrot'];
const SOURCES = ['search', 'feed', 'profile'];
/** More than two chunks of rows, so the read continues after a key twice. */
const VIEWERS = RANGE_CHUNK * 2 + 500;

describe('insights over more viewers than one chunk (SQLite)', () => {
  let t: TestApp;
  let admin: string;
  const ws = 'ins-chunks';
  const visits: { profileId: string; viewerId: string; viewedAt: number; source: string }[] = [];

  beforeAll(async () => {
    t = await startTestApp(sqliteBackend);
    t.clock.t = NOW;
    const members: MemberInput[] = [{ id: 'owner', name: 'Owner', plan: 'premium' }];
    for (let i = 0; i < VIEWERS; i++) members.push({ id: `v${String(i).padStart(5, '0')}`, name: `V ${i}`, company: COMPANIES[i % COMPANIES.length]! });
    await t.members(ws, members);
    admin = await t.adminKey(ws);
    // Many viewers per 15-minute slot (a chunk ends inside a slot), and every seventh viewer
    // back a day later through another source (two rows, two sources, for one viewer).
    for (let i = 0; i < VIEWERS; i++) {
      const viewerId = `v${String(i).padStart(5, '0')}`;
      visits.push({ profileId: 'owner', viewerId, viewedAt: NOW - 10 * 86_400_000 + i * 20_000, source: SOURCES[i % SOURCES.length]! });
      if (i % 7 === 0) visits.push({ profileId: 'owner', viewerId, viewedAt: NOW - 9 * 86_400_000 + i * 20_000, source: SOURCES[(i + 1) % SOURCES.length]! });
    }
    for (let i = 0; i < visits.length; i += 2000) {
      const res = await postBatch(t, admin, visits.slice(i, i + 2000));
      expect(res.recorded).toBe(Math.min(2000, visits.length - i));
    }
  }, 120_000);
  afterAll(() => t?.close());

  it('breakdowns count every viewer once, in each source they came through', async () => {
    const res = await t.request('GET', '/v1/members/owner/insights?range=30d&tz=UTC&breakdowns=true', { headers: auth(admin) });
    expect(res.status, res.text).toBe(200);
    expect(res.body.uniqueViewers).toBe(VIEWERS);
    expect(res.body.views).toBe(visits.length);
    const expectedCompanies = COMPANIES.map((value, k) => ({ value, viewers: Math.floor((VIEWERS - 1 - k) / COMPANIES.length) + 1 }));
    expect(res.body.breakdowns.companies.other).toBe(0);
    expect([...res.body.breakdowns.companies.buckets].sort((a: any, b: any) => a.value.localeCompare(b.value))).toEqual(
      [...expectedCompanies].sort((a, b) => a.value.localeCompare(b.value)),
    );
    const bySource = new Map<string, Set<string>>();
    for (const v of visits) (bySource.get(v.source) ?? bySource.set(v.source, new Set()).get(v.source)!).add(v.viewerId);
    expect(Object.fromEntries(res.body.breakdowns.sources.buckets.map((b: any) => [b.value, b.viewers]))).toEqual(
      Object.fromEntries([...bySource].map(([source, ids]) => [source, ids.size])),
    );
  });

  it('the range is read whole, and the event loop turns while it is read', async () => {
    let turned = false;
    const reading = t.store.insights.rangeViewers(ws, 'owner', slotOf(NOW - 30 * 86_400_000), slotOf(NOW) + 1, ['v00003']);
    setImmediate(() => (turned = true));
    const viewers = await reading;
    expect(turned).toBe(true);
    expect(viewers).toHaveLength(VIEWERS - 1);
    expect(new Set(viewers.map((v) => v.viewerId)).size).toBe(VIEWERS - 1);
    expect(viewers.find((v) => v.viewerId === 'v00003')).toBeUndefined();
    expect(viewers.find((v) => v.viewerId === 'v00007')?.sources.sort()).toEqual([SOURCES[1], SOURCES[2]].sort());
    expect(viewers.find((v) => v.viewerId === 'v00007')?.viewer?.company).toBe(COMPANIES[1]);
  });

  it('the previous period counts every distinct viewer once, and the event loop turns while they are counted', async () => {
    // Every visit is 9 to 10 days old: the previous period of a 7-day range holds them all.
    const res = await t.request('GET', '/v1/members/owner/insights?range=7d&tz=UTC', { headers: auth(admin) });
    expect(res.status, res.text).toBe(200);
    expect(res.body.previous).toMatchObject({ views: visits.length, uniqueViewers: VIEWERS });
    let turned = false;
    const counting = t.store.insights.distinctViewers(ws, 'owner', slotOf(NOW - 30 * 86_400_000), slotOf(NOW) + 1, ['v00003', 'v00004']);
    setImmediate(() => (turned = true));
    expect(await counting).toBe(VIEWERS - 2);
    expect(turned).toBe(true);
  });
});
