/**
 * A member's export (docs/privacy-controls.md, "Export"): streamed JSON or NDJSON with the
 * profile, settings, blocks, keys' metadata (no secret), the viewers exactly as the member's
 * own visitor list shows them (blocks, plan blur and hidden entries alike) and the profiles
 * they viewed with counts and times. More than one page of each, on both backends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_PAGE } from '../src/core/index.js';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { allVisitors, auth, expectNativeError, postBatch } from './support/assertions.js';

const MIN = 60_000;

describe.each(BACKENDS)('member export on $name', (backend) => {
  let t: TestApp;
  let admin: string;
  let ownerKey: string;
  let now: number;
  const WS = 'export';
  const OWNER = 'x-owner';
  const VIEWERS = EXPORT_PAGE + 40;
  const VIEWED = EXPORT_PAGE + 25;

  beforeAll(async () => {
    t = await startTestApp(backend);
    now = t.clock.now();
    admin = await t.adminKey(WS);
    await t.members(WS, [
      { id: OWNER, name: 'Export Owner', plan: 'free', company: 'Owner Co' },
      { id: 'x-blocked', name: 'Blocked Viewer' },
      { id: 'x-private', name: 'Private Viewer SECRET', visibility: 'private', company: 'SECRETCO' },
      { id: 'x-incognito', name: 'Incognito', plan: 'free', visibility: 'private' },
    ]);
    const visits: unknown[] = [];
    for (let i = 0; i < VIEWERS; i++) {
      const id = `x-v${String(i).padStart(4, '0')}`;
      visits.push({ profileId: OWNER, viewerId: id, viewedAt: now - (i + 10) * MIN, viewer: { name: `Viewer ${i}`, company: `Co ${i}` } });
    }
    visits.push({ profileId: OWNER, viewerId: 'x-private', viewedAt: now - 5 * MIN });
    visits.push({ profileId: OWNER, viewerId: 'x-blocked', viewedAt: now - 4 * MIN });
    visits.push({ profileId: 'x-incognito', viewerId: 'x-blocked', viewedAt: now - 4 * MIN });
    // The owner's own views: one profile twice, more than a page of profiles.
    for (let i = 0; i < VIEWED; i++) {
      visits.push({ profileId: `x-p${String(i).padStart(4, '0')}`, viewerId: OWNER, viewedAt: now - (i + 1) * MIN, profile: { name: `Profile ${i}` } });
    }
    visits.push({ profileId: 'x-p0000', viewerId: OWNER, viewedAt: now - 3 * 24 * 60 * MIN });
    for (let i = 0; i < visits.length; i += 1000) await postBatch(t, admin, visits.slice(i, i + 1000));
    const block = await t.request('PUT', `/v1/members/${OWNER}/blocks/x-blocked`, { headers: auth(admin) });
    expect(block.status, block.text).toBe(200);
    ownerKey = await t.memberKey(WS, OWNER);
  });
  afterAll(() => t?.close());

  const exportOf = (memberId: string, key: string, format?: string) =>
    t.request('GET', `/v1/members/${memberId}/export${format ? `?format=${format}` : ''}`, { headers: auth(key) });

  it('holds the profile, settings, blocks, keys without secrets, the viewers as listed and the profiles viewed', async () => {
    const res = await exportOf(OWNER, ownerKey);
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = res.body;
    expect(body.exportedAt).toBe(now);
    expect(body.member).toMatchObject({ id: OWNER, name: 'Export Owner', company: 'Owner Co', plan: 'free' });
    expect(body.settings).toEqual({ plan: 'free', visibility: 'full' });
    expect(body.blocks).toEqual([{ memberId: OWNER, blockedId: 'x-blocked', createdAt: now }]);
    expect(body.keys).toEqual([expect.objectContaining({ role: 'member', memberId: OWNER, revokedAt: null })]);
    expect(res.text.includes(ownerKey), 'a key secret came out').toBe(false);
    expect(body.keys[0]).not.toHaveProperty('secret');

    // The viewers are exactly the visitor list the member reads: blocked viewer out, the
    // private one anonymous, all but the 5 most recent blurred.
    const listed = await allVisitors(t, ownerKey, OWNER);
    expect(body.viewersWithheld).toBeNull();
    expect(body.viewers).toEqual(listed.viewers);
    expect(body.viewers.length).toBe(VIEWERS + 1);
    expect(JSON.stringify(body.viewers).includes('x-blocked'), 'the blocked viewer is listed').toBe(false);
    expect(res.text.includes('SECRET'), 'a hidden viewer\'s field came out').toBe(false);
    expect(res.text.includes('x-private'), 'a hidden viewer\'s id came out').toBe(false);

    expect(body.viewed.length).toBe(VIEWED);
    expect(body.viewed.map((v: any) => v.profileId)).toEqual(Array.from({ length: VIEWED }, (_, i) => `x-p${String(i).padStart(4, '0')}`));
    expect(body.viewed[0]).toEqual({ profileId: 'x-p0000', viewCount: 2, firstViewedAt: now - 3 * 24 * 60 * MIN, lastViewedAt: now - MIN });
    expect(body.viewed[7]).toEqual({ profileId: 'x-p0007', viewCount: 1, firstViewedAt: now - 8 * MIN, lastViewedAt: now - 8 * MIN });
  });

  it('as NDJSON: one {type, data} a line, the same content', async () => {
    const [json, nd] = await Promise.all([exportOf(OWNER, admin), exportOf(OWNER, admin, 'ndjson')]);
    expect(nd.status, nd.text.slice(0, 300)).toBe(200);
    expect(nd.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = nd.text.trimEnd().split('\n').map((l) => JSON.parse(l));
    const of = (type: string) => lines.filter((l) => l.type === type).map((l) => l.data);
    expect(lines[0]).toEqual({ type: 'export', data: { memberId: OWNER, exportedAt: now } });
    expect(of('member')).toEqual([json.body.member]);
    expect(of('block')).toEqual(json.body.blocks);
    expect(of('key')).toEqual(json.body.keys);
    expect(of('viewer')).toEqual(json.body.viewers);
    expect(of('viewed')).toEqual(json.body.viewed);
  });

  it('a free member in private mode gets no viewers (as in their list), with the reason; their own views are there', async () => {
    const res = await exportOf('x-incognito', admin);
    expect(res.status, res.text).toBe(200);
    expect(res.body.viewers).toEqual([]);
    expect(res.body.viewersWithheld).toMatch(/private mode/);
    const blocked = await exportOf('x-blocked', admin);
    expect(blocked.body.viewed.map((v: any) => v.profileId)).toEqual(['x-incognito', OWNER]);
  });

  it('is for admins and the member only, answers 404 for nobody, and is in the audit log', async () => {
    const other = await t.memberKey(WS, 'x-blocked');
    expectNativeError(await exportOf(OWNER, other), 403);
    expectNativeError(await exportOf('nobody', admin), 404);
    expectNativeError(await exportOf(OWNER, admin, 'xml'), 400);
    const audit = await t.request('GET', '/v1/audit', { headers: auth(admin) });
    const exports = audit.body.entries.filter((e: any) => e.action === 'member.exported');
    expect(exports.map((e: any) => [e.target, e.details.format])).toEqual(
      expect.arrayContaining([
        [OWNER, 'json'],
        [OWNER, 'ndjson'],
        ['x-incognito', 'json'],
      ]),
    );
  });
});
