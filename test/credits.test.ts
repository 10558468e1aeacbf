/**
 * LinkupAPI credits: 1 credit per 10 viewers returned (rounded up), taken atomically from the
 * key's balance; a call that would overdraw is a 402 that charges nothing; errors never charge;
 * unlimited (null) keys are never refused; concurrent calls never spend the same credit.
 * Balances are read and set the way an operator does: the native admin key endpoints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type HttpResponse, type TestApp } from './support/test-app.js';
import { auth, postBatch } from './support/assertions.js';

const MIN = 60_000;
const WS = 'credits';

interface CreatedKey {
  id: string;
  secret: string;
}

describe.each(BACKENDS)('LinkupAPI credits on $name', (backend) => {
  let t: TestApp;
  let admin: string;

  /** `POST /v1/keys`, the HTTP equivalent of `keys create --credits N`. */
  async function createKey(credits: number | null | undefined, role: 'admin' | 'member' = 'admin', memberId?: string): Promise<CreatedKey> {
    const body: Record<string, unknown> = { role, ...(memberId ? { memberId } : {}), ...(credits !== undefined ? { credits } : {}) };
    const res = await t.request('POST', '/v1/keys', { headers: auth(admin), body });
    expect(res.status, res.text).toBe(201);
    expect(res.body.credits).toBe(credits ?? null);
    return { id: res.body.id, secret: res.body.secret };
  }

  /** The balance an operator sees in `GET /v1/keys`. */
  async function balance(keyId: string): Promise<number | null> {
    const res = await t.request('GET', '/v1/keys', { headers: auth(admin) });
    expect(res.status, res.text).toBe(200);
    const key = res.body.keys.find((k: { id: string }) => k.id === keyId);
    expect(key, `key ${keyId} in ${res.text}`).toBeDefined();
    return key.credits;
  }

  async function setCredits(keyId: string, credits: number | null): Promise<HttpResponse> {
    const res = await t.request('PUT', `/v1/keys/${keyId}/credits`, { headers: auth(admin), body: { credits } });
    expect(res.status, res.text).toBe(200);
    return res;
  }

  const getViewers = (secret: string, account = 'rich', params: Record<string, unknown> = {}, action = 'get_viewers') =>
    t.request('POST', '/v2/profiles', { headers: auth(secret), body: { account_id: account, action, params } });

  beforeAll(async () => {
    t = await startTestApp(backend);
    admin = await t.adminKey(WS);
    const now = t.clock.now();
    const viewers = Array.from({ length: 25 }, (_, i) => ({ id: `cr${String(i).padStart(2, '0')}`, name: `Credit Viewer ${i}` }));
    await t.members(WS, [
      { id: 'rich', name: 'Rich In Viewers', plan: 'premium' },
      { id: 'empty', name: 'Nobody Looked', plan: 'premium' },
      { id: 'priv', name: 'Private Free', plan: 'free', visibility: 'private' },
      ...viewers,
    ]);
    await postBatch(t, admin, [
      ...viewers.map((v, i) => ({ profileId: 'rich', viewerId: v.id, viewedAt: now - (i + 1) * MIN })),
      { profileId: 'priv', viewerId: 'cr00', viewedAt: now - MIN },
    ]);
  });
  afterAll(() => t?.close());

  it.each([
    { what: '1 viewer costs 1', account: 'rich', params: { count: 1 }, returned: 1, cost: 1 },
    { what: '10 viewers cost 1', account: 'rich', params: { count: 10 }, returned: 10, cost: 1 },
    { what: '11 viewers cost 2', account: 'rich', params: { count: 11 }, returned: 11, cost: 2 },
    { what: '20 viewers cost 2', account: 'rich', params: { count: 20 }, returned: 20, cost: 2 },
    { what: '21 viewers cost 3', account: 'rich', params: { count: 21 }, returned: 21, cost: 3 },
    { what: 'the default page (10) costs 1', account: 'rich', params: {}, returned: 10, cost: 1 },
    { what: 'count 100 returning all 25 costs 3', account: 'rich', params: { count: 100 }, returned: 25, cost: 3 },
    { what: 'a last page of 5 costs 1', account: 'rich', params: { count: 10, offset: 20 }, returned: 5, cost: 1 },
    { what: 'a page beyond the end costs 0', account: 'rich', params: { count: 10, offset: 25 }, returned: 0, cost: 0 },
    { what: 'no viewers at all costs 0', account: 'empty', params: { count: 100 }, returned: 0, cost: 0 },
  ])('$what: metadata.credits_consumed and the balance agree', async ({ account, params, returned, cost }) => {
    const key = await createKey(50);
    const res = await getViewers(key.secret, account, params);
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.viewers).toHaveLength(returned);
    expect(res.body.data.total_results).toBe(returned);
    expect(res.body.metadata.credits_consumed).toBe(cost);
    expect(await balance(key.id)).toBe(50 - cost);
  });

  it('a member key created with credits is charged like an admin key', async () => {
    const key = await createKey(3, 'member', 'rich');
    const res = await getViewers(key.secret, 'rich', { count: 15 });
    expect(res.status, res.text).toBe(200);
    expect(res.body.metadata.credits_consumed).toBe(2);
    expect(await balance(key.id)).toBe(1);
  });

  it('PUT /v1/keys/:id/credits sets the balance, and null makes the key unlimited', async () => {
    const key = await createKey(undefined);
    expect(await balance(key.id)).toBeNull();
    const set = await setCredits(key.id, 7);
    expect(set.body).toMatchObject({ id: key.id, credits: 7 });
    expect(await balance(key.id)).toBe(7);
    expect((await getViewers(key.secret, 'rich', { count: 25 })).body.metadata.credits_consumed).toBe(3);
    expect(await balance(key.id)).toBe(4);
    await setCredits(key.id, null);
    expect(await balance(key.id)).toBeNull();
  });

  it('refuses with 402 INSUFFICIENT_CREDITS and charges nothing when the answer would overdraw', async () => {
    const key = await createKey(1);
    const tooDear = await getViewers(key.secret, 'rich', { count: 11 });
    expect(tooDear.status, tooDear.text).toBe(402);
    expect(tooDear.body).toMatchObject({ success: false, error: { code: 'INSUFFICIENT_CREDITS' }, metadata: { action: 'get_viewers', credits_consumed: 0 } });
    expect(tooDear.body.data).toBeUndefined();
    expect(await balance(key.id)).toBe(1);

    const affordable = await getViewers(key.secret, 'rich', { count: 10 });
    expect(affordable.status, affordable.text).toBe(200);
    expect(affordable.body.metadata.credits_consumed).toBe(1);
    expect(await balance(key.id)).toBe(0);

    const broke = await getViewers(key.secret, 'rich', { count: 1 });
    expect(broke.status, broke.text).toBe(402);
    expect(broke.body.error.code).toBe('INSUFFICIENT_CREDITS');
    expect(await balance(key.id)).toBe(0);

    // An answer that costs nothing does not overdraw, even at 0.
    const free = await getViewers(key.secret, 'empty', { count: 10 });
    expect(free.status, free.text).toBe(200);
    expect(free.body.metadata.credits_consumed).toBe(0);
    expect(await balance(key.id)).toBe(0);

    // Topped up, the key works again.
    await setCredits(key.id, 2);
    const again = await getViewers(key.secret, 'rich', { count: 11 });
    expect(again.status, again.text).toBe(200);
    expect(await balance(key.id)).toBe(0);
  });

  it('errors never charge', async () => {
    const key = await createKey(5);
    const member = await createKey(5, 'member', 'rich');
    const errors: [HttpResponse, number, string][] = [
      [await getViewers(key.secret, 'ghost'), 404, 'INVALID_ACCOUNT'],
      [await getViewers(key.secret, 'rich', {}, 'get_posts'), 400, 'INVALID_ACTION'],
      [await getViewers(key.secret, 'rich', { count: 101 }), 400, 'INVALID_PARAMS'],
      [await getViewers(key.secret, 'rich', { offset: -1 }), 400, 'INVALID_PARAMS'],
      [await getViewers(key.secret, 'priv'), 403, 'ACCOUNT_INACTIVE'],
      [await getViewers(member.secret, 'empty'), 404, 'INVALID_ACCOUNT'],
    ];
    for (const [res, status, code] of errors) {
      expect({ status: res.status, code: res.body?.error?.code, consumed: res.body?.metadata?.credits_consumed }, res.text).toEqual({ status, code, consumed: 0 });
    }
    expect(await balance(key.id)).toBe(5);
    expect(await balance(member.id)).toBe(5);
  });

  it('POST /v1/keys with credits: null creates an unlimited key', async () => {
    const res = await t.request('POST', '/v1/keys', { headers: auth(admin), body: { role: 'admin', credits: null } });
    expect(res.status, res.text).toBe(201);
    expect(res.body.credits, 'credits: null must mean unlimited, not a balance of 0').toBeNull();
    expect(await balance(res.body.id)).toBeNull();
    const call = await getViewers(res.body.secret, 'rich', { count: 10 });
    expect(call.status, call.text).toBe(200);
  });

  it('unlimited keys (created without credits) are never refused and stay unlimited, while still reporting what each call consumed', async () => {
    const key = await createKey(undefined);
    for (let i = 0; i < 5; i++) {
      const res = await getViewers(key.secret, 'rich', { count: 100 });
      expect(res.status, res.text).toBe(200);
      expect(res.body.metadata.credits_consumed).toBe(3);
    }
    expect(await balance(key.id)).toBeNull();
  });

  it('only get_viewers is metered: Networked, ConnectSafely and the native list do not touch the balance', async () => {
    const key = await createKey(0, 'member', 'rich');
    const networked = await t.request('GET', '/api/v1/profile/visits?start=0&count=25', { headers: auth(key.secret) });
    expect(networked.status, networked.text).toBe(200);
    const cs = await t.request('POST', '/linkedin/profile/visitors', { headers: { authorization: `Bearer ${key.secret}` }, body: { count: 25, maxVisitors: 25 } });
    expect(cs.status, cs.text).toBe(200);
    const nat = await t.request('GET', '/v1/members/rich/visitors?limit=25', { headers: auth(key.secret) });
    expect(nat.status, nat.text).toBe(200);
    expect(await balance(key.id)).toBe(0);
  });

  it('no double spend: 50 concurrent calls costing 1 each on a balance of 25 give exactly 25 answers and 25 refusals', async () => {
    const key = await createKey(25);
    const results = await Promise.all(Array.from({ length: 50 }, () => getViewers(key.secret, 'rich', { count: 5 })));
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 402);
    expect(ok).toHaveLength(25);
    expect(refused).toHaveLength(25);
    expect(ok.reduce((sum, r) => sum + r.body.metadata.credits_consumed, 0)).toBe(25);
    for (const r of refused) expect(r.body).toMatchObject({ error: { code: 'INSUFFICIENT_CREDITS' }, metadata: { credits_consumed: 0 } });
    expect(await balance(key.id)).toBe(0);
  });

  it('no double spend at 2 credits a call: 20 concurrent calls on a balance of 25 give 12 answers, 8 refusals, 1 credit left', async () => {
    const key = await createKey(25);
    const results = await Promise.all(Array.from({ length: 20 }, () => getViewers(key.secret, 'rich', { count: 15 })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(12);
    expect(results.filter((r) => r.status === 402)).toHaveLength(8);
    expect(results.every((r) => r.status === 200 || r.status === 402), results.map((r) => r.status).join(',')).toBe(true);
    expect(await balance(key.id)).toBe(1);
  });

  it('a rate-limited call does not charge', async () => {
    const limited = await startTestApp(backend, { rateLimitMax: 1, rateLimitWindowMs: 10 * 60_000 });
    try {
      await limited.members('rl', [{ id: 'o', name: 'Owner', plan: 'premium' }, { id: 'v', name: 'Viewer' }]);
      const rlAdmin = await limited.adminKey('rl');
      // The admin key spends its single request here, recording the visit.
      await postBatch(limited, rlAdmin, [{ profileId: 'o', viewerId: 'v', viewedAt: limited.clock.now() - MIN }]);
      const paying = await limited.memberKey('rl', 'o', 5);
      const first = await limited.request('POST', '/v2/profiles', { headers: auth(paying), body: { account_id: 'o', action: 'get_viewers' } });
      expect(first.status, first.text).toBe(200);
      expect(first.body.metadata.credits_consumed).toBe(1);
      const second = await limited.request('POST', '/v2/profiles', { headers: auth(paying), body: { account_id: 'o', action: 'get_viewers' } });
      expect(second.status, second.text).toBe(429);
      expect(second.body).toMatchObject({ success: false, error: { code: 'RATE_LIMITED' }, metadata: { credits_consumed: 0 } });
      // Read with another admin key: its bucket is its own.
      const list = await limited.request('GET', '/v1/keys', { headers: auth(await limited.adminKey('rl')) });
      expect(list.status, list.text).toBe(200);
      expect(list.body.keys.find((k: { memberId: string | null }) => k.memberId === 'o')?.credits).toBe(4);
    } finally {
      await limited.close();
    }
  });
});
