/**
 * Tenant isolation: workspaces A (alpha) and B (beta) use the same member ids. A key of A can
 * neither read nor write anything of B through any endpoint; member keys stay on their own
 * member; revoked keys are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { auth, expectNativeError, expectNetworkedError } from './support/assertions.js';

const HOUR = 3_600_000;
const SHARED_IDS = ['owner', 'v1', 'v2', 'v3'];

describe.each(BACKENDS)('tenant isolation on $name', (backend) => {
  let t: TestApp;
  let adminA: string;
  let adminB: string;
  let memberA: string; // alpha's v1
  let memberBOwner: string;
  let bKeyIds: string[];
  let bSnapshot: unknown;

  const req = (key: string, method: string, path: string, body?: unknown) =>
    t.request(method, path, { headers: auth(key), ...(body !== undefined ? { body } : {}) });

  /** Everything B's admin can see of workspace B. */
  async function snapshotB() {
    const get = async (path: string) => {
      const res = await req(adminB, 'GET', path);
      return { path, status: res.status, body: res.body };
    };
    const out: unknown[] = [await get('/v1/workspace'), await get('/v1/keys')];
    for (const id of [...SHARED_IDS, 'onlyB']) {
      out.push(await get(`/v1/members/${id}`), await get(`/v1/members/${id}/visitors?limit=100`), await get(`/v1/members/${id}/connections`));
    }
    const networked = await t.request('GET', '/api/v1/profile/visits?start=0&count=100&userId=owner', { headers: auth(adminB) });
    out.push({ networked: networked.body });
    return out;
  }

  beforeAll(async () => {
    t = await startTestApp(backend);
    const now = t.clock.now();
    await t.members('alpha', [
      { id: 'owner', name: 'Alpha Owner', plan: 'premium' },
      { id: 'v1', name: 'Alpha Viewer One' },
      { id: 'v2', name: 'Alpha Viewer Two' },
      { id: 'v3', name: 'Alpha Viewer Three' },
      { id: 'onlyA', name: 'Only In Alpha' },
    ]);
    await t.members('beta', [
      { id: 'owner', name: 'Beta Owner', plan: 'premium' },
      { id: 'v1', name: 'Beta Viewer One', headline: 'Beta secret headline' },
      { id: 'v2', name: 'Beta Viewer Two' },
      { id: 'v3', name: 'Beta Viewer Three' },
      { id: 'onlyB', name: 'Only In Beta', plan: 'premium' },
    ]);
    adminA = await t.adminKey('alpha');
    adminB = await t.adminKey('beta');
    memberA = await t.memberKey('alpha', 'v1');
    memberBOwner = await t.memberKey('beta', 'owner', 50);

    // B's data: visits (one with a client id), a connection.
    const bVisits = await req(adminB, 'POST', '/v1/visits/batch', {
      visits: [
        { id: 'shared-evt', profileId: 'owner', viewerId: 'v1', viewedAt: now - HOUR, source: 'search' },
        { profileId: 'owner', viewerId: 'v3', viewedAt: now - 2 * HOUR },
        { profileId: 'onlyB', viewerId: 'v2', viewedAt: now - 3 * HOUR },
      ],
    });
    expect(bVisits.body.recorded).toBe(3);
    expect((await req(adminB, 'PUT', '/v1/members/owner/connections/v1')).status).toBe(200);
    // A's data: one visit.
    expect((await req(adminA, 'POST', '/v1/visits', { profileId: 'owner', viewerId: 'v2', viewedAt: now - HOUR })).status).toBe(201);

    const keys = await req(adminB, 'GET', '/v1/keys');
    bKeyIds = keys.body.keys.map((k: any) => k.id);
    expect(bKeyIds).toHaveLength(2);
    bSnapshot = await snapshotB();
  });
  afterAll(() => t.close());

  describe("an admin key of A cannot read B's data", () => {
    it('members: same id reads A’s member; a B-only member is not found', async () => {
      const owner = await req(adminA, 'GET', '/v1/members/owner');
      expect(owner.status).toBe(200);
      expect(owner.body.name).toBe('Alpha Owner');
      const onlyB = await req(adminA, 'GET', '/v1/members/onlyB');
      expectNativeError(onlyB, 404);
      expect(onlyB.text).not.toContain('Only In Beta');
    });

    it('visitors: only A’s visits are listed; a B-only member is not found', async () => {
      const list = await req(adminA, 'GET', '/v1/members/owner/visitors');
      expect(list.status).toBe(200);
      expect(list.body.total).toBe(1);
      expect(list.body.viewers.map((v: any) => [v.viewer.id, v.label])).toEqual([['v2', 'Alpha Viewer Two']]);
      expect(list.text).not.toContain('Beta');
      expectNativeError(await req(adminA, 'GET', '/v1/members/onlyB/visitors'), 404);
      const v1 = await req(adminA, 'GET', '/v1/members/v1');
      expect(v1.text).not.toContain('Beta secret headline');
    });

    it('connections: B’s connections are invisible', async () => {
      const res = await req(adminA, 'GET', '/v1/members/owner/connections');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ total: 0, connections: [] });
      expectNativeError(await req(adminA, 'GET', '/v1/members/onlyB/connections'), 404);
    });

    it('keys: the list holds only A’s keys', async () => {
      const res = await req(adminA, 'GET', '/v1/keys');
      expect(res.status).toBe(200);
      const ids = res.body.keys.map((k: any) => k.id);
      expect(ids.length).toBeGreaterThan(0);
      for (const id of bKeyIds) expect(ids).not.toContain(id);
    });

    it('workspace: GET /v1/workspace is A’s', async () => {
      const res = await req(adminA, 'GET', '/v1/workspace');
      expect(res.status).toBe(200);
      expect(res.body.id).toBe('alpha');
    });

    it('Networked: userId names A’s member; a B-only member is not found', async () => {
      const res = await t.request('GET', '/api/v1/profile/visits?start=0&count=100&userId=owner', { headers: auth(adminA) });
      expect(res.status).toBe(200);
      expect(res.body.data.content.map((e: any) => [e.userId, e.name])).toEqual([['v2', 'Alpha Viewer Two']]);
      expectNetworkedError(
        await t.request('GET', '/api/v1/profile/visits?start=0&count=10&userId=onlyB', { headers: auth(adminA) }),
        404,
      );
    });
  });

  describe('the other compatible APIs keep to the key’s workspace too', () => {
    const linkup = (key: string, accountId: string) =>
      t.request('POST', '/v2/profiles', { headers: auth(key), body: { account_id: accountId, action: 'get_viewers', params: { count: 100 } } });
    const connectSafely = (key: string, accountId: string) =>
      t.request('POST', '/linkedin/profile/visitors', { headers: { authorization: `Bearer ${key}` }, body: { accountId, timeRange: 'ALL_TIME', count: 100, maxVisitors: 100 } });

    it('LinkupAPI: a shared account id reads A’s member; a B-only one is INVALID_ACCOUNT', async () => {
      const res = await linkup(adminA, 'owner');
      expect(res.status).toBe(200);
      expect(res.body.data.viewers.map((v: any) => v.title)).toEqual(['Alpha Viewer Two']);
      expect(res.text).not.toContain('Beta');
      const onlyB = await linkup(adminA, 'onlyB');
      expect(onlyB.status).toBe(404);
      expect(onlyB.body).toMatchObject({ success: false, error: { code: 'INVALID_ACCOUNT' } });
      expect(onlyB.text).not.toContain('Only In Beta');
    });

    it('ConnectSafely: a shared account id reads A’s member; a B-only one is not found', async () => {
      const res = await connectSafely(adminA, 'owner');
      expect(res.status).toBe(200);
      expect(res.body.visitors.map((v: any) => v.name)).toEqual(['Alpha Viewer Two']);
      expect(res.text).not.toContain('Beta');
      const onlyB = await connectSafely(adminA, 'onlyB');
      expect(onlyB.status).toBe(404);
      expect(onlyB.body).toMatchObject({ success: false });
      expect(onlyB.text).not.toContain('Only In Beta');
    });

    it('a member key naming another member is refused on both', async () => {
      // LinkupAPI answers an account the key may not read as INVALID_ACCOUNT (docs/compatibility.md).
      const l = await linkup(memberA, 'owner');
      expect(l.status).toBe(404);
      expect(l.body).toMatchObject({ success: false, error: { code: 'INVALID_ACCOUNT' } });
      expect(l.text).not.toContain('Alpha Owner');
      const c = await connectSafely(memberA, 'owner');
      expect(c.status).toBe(403);
      expect(c.body.success).toBe(false);
    });
  });

  describe("an admin key of A cannot write B's data", () => {
    it('members: PUT of a shared id changes A’s member only; PUT of a B-only id creates it in A', async () => {
      const res = await req(adminA, 'PUT', '/v1/members/v3', { name: 'Renamed By Alpha' });
      expect(res.status).toBe(200);
      expect(res.body.name).toBe('Renamed By Alpha');
      const created = await req(adminA, 'PUT', '/v1/members/onlyB', { name: 'Alpha Copy' });
      expect(created.status).toBe(200);
      expect((await req(adminB, 'GET', '/v1/members/v3')).body.name).toBe('Beta Viewer Three');
      expect((await req(adminB, 'GET', '/v1/members/onlyB')).body.name).toBe('Only In Beta');
    });

    it('connections: adding or removing in A leaves B’s graph alone', async () => {
      expect((await req(adminA, 'DELETE', '/v1/members/owner/connections/v1')).body).toMatchObject({ changed: false });
      expect((await req(adminA, 'PUT', '/v1/members/owner/connections/v2')).body).toMatchObject({ changed: true });
      expectNativeError(await req(adminA, 'PUT', '/v1/members/onlyA/connections/ghostOfB'), 404);
      expect((await req(adminB, 'GET', '/v1/members/owner/connections')).body).toEqual({ total: 1, connections: ['v1'] });
    });

    it('visits: a B-only member is unknown in A; visits in A never reach B’s lists', async () => {
      const now = t.clock.now();
      expectNativeError(await req(adminA, 'POST', '/v1/visits', { profileId: 'onlyA', viewerId: 'ghostOfB' }), 422, /ghostOfB/);
      expect((await req(adminA, 'POST', '/v1/visits', { profileId: 'owner', viewerId: 'v1', viewedAt: now - 5 * HOUR })).status).toBe(201);
      const bOwner = await req(adminB, 'GET', '/v1/members/owner/visitors');
      expect(bOwner.body.viewers.map((v: any) => [v.viewer.id, v.viewCount])).toEqual([
        ['v1', 1],
        ['v3', 1],
      ]);
    });

    it('visits: a client id used in B is a new visit in A, not a replay', async () => {
      const res = await req(adminA, 'POST', '/v1/visits', { id: 'shared-evt', profileId: 'owner', viewerId: 'v3', viewedAt: t.clock.now() - 6 * HOUR });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ status: 'recorded', visitId: 'shared-evt' });
      const again = await req(adminB, 'POST', '/v1/visits', { id: 'shared-evt', profileId: 'owner', viewerId: 'v1' });
      expect(again.body.status).toBe('replayed');
    });

    it('batch: B-only members are unknown, nothing lands in B', async () => {
      const res = await req(adminA, 'POST', '/v1/visits/batch', {
        visits: [
          { profileId: 'onlyA', viewerId: 'ghostOfB' },
          { profileId: 'owner', viewerId: 'v3', viewedAt: t.clock.now() - 8 * HOUR },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ recorded: 1, rejected: 1 });
      expect(res.body.results[0].error.code).toBe('unknown_members');
    });

    it('keys: A cannot revoke or recharge B’s keys, nor bind a key to a B-only member', async () => {
      for (const id of bKeyIds) {
        expectNativeError(await req(adminA, 'DELETE', `/v1/keys/${id}`), 404);
        expectNativeError(await req(adminA, 'PUT', `/v1/keys/${id}/credits`, { credits: 0 }), 404);
      }
      expectNativeError(await req(adminA, 'POST', '/v1/keys', { role: 'member', memberId: 'ghostOfB' }), 404);
      // B's keys still work with their balance intact.
      expect((await req(adminB, 'GET', '/v1/workspace')).status).toBe(200);
      const own = await t.request('GET', '/api/v1/profile/visits?start=0&count=10', { headers: auth(memberBOwner) });
      expect(own.status).toBe(200);
      expect(own.body.data.content.map((e: any) => e.name)).toEqual(['Beta Viewer One', 'Beta Viewer Three']);
    });

    it('keys: a key A creates for a shared member id reads A’s member', async () => {
      const created = await req(adminA, 'POST', '/v1/keys', { role: 'member', memberId: 'owner' });
      expect(created.status).toBe(201);
      const res = await t.request('GET', '/api/v1/profile/visits?start=0&count=100', { headers: auth(created.body.secret) });
      expect(res.status).toBe(200);
      expect(res.text).toContain('Alpha');
      expect(res.text).not.toContain('Beta');
    });

    it('workspace settings: PATCH by A changes A only', async () => {
      const res = await req(adminA, 'PATCH', '/v1/workspace/settings', { dedupWindowMs: 1234, freeFullViewers: 2 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: 'alpha', settings: { dedupWindowMs: 1234, freeFullViewers: 2 } });
      const b = await req(adminB, 'GET', '/v1/workspace');
      expect(b.body).toMatchObject({ id: 'beta', settings: { dedupWindowMs: 30 * 60_000, freeFullViewers: 5 } });
    });

    it('after all of the above, B looks exactly as before', async () => {
      expect(await snapshotB()).toEqual(bSnapshot);
    });
  });

  describe('member keys stay on their own member', () => {
    const forbidden: Array<[string, string, unknown?]> = [
      ['GET', '/v1/members/owner'],
      ['GET', '/v1/members/owner/visitors'],
      ['GET', '/v1/members/owner/connections'],
      ['GET', '/v1/members/onlyB'],
      ['PUT', '/v1/members/owner', { name: 'Hijacked' }],
      ['PUT', '/v1/members/v1', { name: 'Self Edit' }],
      ['PUT', '/v1/members/v1/connections/v2'],
      ['DELETE', '/v1/members/owner/connections/v2'],
      ['POST', '/v1/visits', { profileId: 'owner', viewerId: 'v1' }],
      ['POST', '/v1/visits/batch', { visits: [{ profileId: 'owner', viewerId: 'v1' }] }],
      ['GET', '/v1/keys'],
      ['POST', '/v1/keys', { role: 'admin' }],
      ['DELETE', '/v1/keys/key_0000000000000000'],
      ['PUT', '/v1/keys/key_0000000000000000/credits', { credits: 5 }],
      ['GET', '/v1/workspace'],
      ['PATCH', '/v1/workspace/settings', { dedupWindowMs: 0 }],
    ];
    it.each(forbidden)('%s %s is 403', async (method, path, body) => {
      const res = await req(memberA, method, path, body);
      expectNativeError(res, 403);
    });

    it('Networked: naming another member is 403', async () => {
      expectNetworkedError(await t.request('GET', '/api/v1/profile/visits?start=0&count=10&userId=owner', { headers: auth(memberA) }), 403);
    });

    it('nothing changed through those attempts', async () => {
      expect((await req(adminA, 'GET', '/v1/members/owner')).body.name).toBe('Alpha Owner');
      expect((await req(adminA, 'GET', '/v1/members/v1')).body.name).toBe('Alpha Viewer One');
      expect((await req(adminA, 'GET', '/v1/workspace')).body.settings.dedupWindowMs).toBe(1234);
      expect((await req(adminA, 'GET', '/v1/members/v1/connections')).body).toEqual({ total: 0, connections: [] });
    });

    it('its own member, visitors and connections are readable', async () => {
      expect((await req(memberA, 'GET', '/v1/members/v1')).body.name).toBe('Alpha Viewer One');
      expect((await req(memberA, 'GET', '/v1/members/v1/visitors')).status).toBe(200);
      expect((await req(memberA, 'GET', '/v1/members/v1/connections')).status).toBe(200);
      expect((await t.request('GET', '/api/v1/profile/visits?start=0&count=10', { headers: auth(memberA) })).status).toBe(200);
    });
  });

  describe('revoked keys', () => {
    it('are refused with 401 on every dialect, header and endpoint', async () => {
      const admin = await req(adminA, 'POST', '/v1/keys', { role: 'admin', name: 'to revoke' });
      const member = await req(adminA, 'POST', '/v1/keys', { role: 'member', memberId: 'owner' });
      expect(admin.status).toBe(201);
      expect(member.status).toBe(201);
      expect((await req(admin.body.secret, 'GET', '/v1/workspace')).status).toBe(200);
      expect((await t.request('GET', '/api/v1/profile/visits?start=0&count=1', { headers: auth(member.body.secret) })).status).toBe(200);

      expect((await req(adminA, 'DELETE', `/v1/keys/${admin.body.id}`)).status).toBe(204);
      expect((await req(adminA, 'DELETE', `/v1/keys/${member.body.id}`)).status).toBe(204);

      for (const [method, path, body] of [
        ['GET', '/v1/workspace'],
        ['GET', '/v1/keys'],
        ['GET', '/v1/members/owner/visitors'],
        ['POST', '/v1/visits', { profileId: 'owner', viewerId: 'v1' }],
        ['DELETE', `/v1/keys/${bKeyIds[0]}`],
      ] as Array<[string, string, unknown?]>) {
        expectNativeError(await req(admin.body.secret, method, path, body), 401);
      }
      expectNativeError(await t.request('GET', '/v1/members/owner', { headers: { authorization: `Bearer ${member.body.secret}` } }), 401);
      expectNetworkedError(await t.request('GET', '/api/v1/profile/visits?start=0&count=1', { headers: auth(member.body.secret) }), 401);
      expectNetworkedError(
        await t.request('GET', '/api/v1/profile/visits?start=0&count=1&userId=owner', { headers: auth(admin.body.secret) }),
        401,
      );

      // The other dialects, each in its own documented way.
      const linkup = await t.request('POST', '/v2/profiles', { headers: auth(member.body.secret), body: { action: 'get_viewers' } });
      expect(linkup.status).toBe(403);
      expect(linkup.body).toMatchObject({ success: false, error: { code: 'INVALID_API_KEY' } });
      const cs = await t.request('POST', '/linkedin/profile/visitors', { headers: { authorization: `Bearer ${member.body.secret}` }, body: {} });
      expect(cs.status).toBe(401);
      expect(cs.body).toMatchObject({ success: false });

      const listed = await req(adminA, 'GET', '/v1/keys');
      const revoked = listed.body.keys.find((k: any) => k.id === admin.body.id);
      expect(revoked.revokedAt).toBe(t.clock.now());
      expectNativeError(await req(adminA, 'DELETE', `/v1/keys/${admin.body.id}`), 404, /revoked|not found/);
    });
  });
});
