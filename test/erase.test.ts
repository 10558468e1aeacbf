/**
 * docs/rules.md#erase: an erased member disappears everywhere at once, as viewer and as owner.
 * Checked through every surface that lists viewers, on every backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { auth, expectNativeError, postBatch } from './support/assertions.js';
import { SURFACES, entriesOf } from './fixtures/surfaces.js';

describe.each(BACKENDS)('erasing a member on $name', (backend) => {
  let t: TestApp;
  let n = 0;
  beforeAll(async () => {
    t = await startTestApp(backend);
  });
  afterAll(() => t.close());

  async function world() {
    const ws = `erase-${++n}`;
    await t.members(ws, [
      { id: 'owner', name: 'Olga Owner', plan: 'premium' },
      { id: 'gone', name: 'Gary Gone', headline: 'Secret Agent', imageUrl: 'https://img.example/gary.png', publicIdentifier: 'gary-gone', plan: 'premium' },
      { id: 'stay', name: 'Stella Stay' },
      { id: 'bridge', name: 'Bob Bridge' },
    ]);
    const admin = await t.adminKey(ws);
    const ownerKey = await t.memberKey(ws, 'owner');
    const goneKey = await t.memberKey(ws, 'gone');
    const now = t.clock.now();
    await postBatch(t, admin, [
      { profileId: 'owner', viewerId: 'gone', viewedAt: now - 60_000 },
      { profileId: 'owner', viewerId: 'gone', viewedAt: now - 3 * 3_600_000 },
      { profileId: 'owner', viewerId: 'stay', viewedAt: now - 120_000 },
      { profileId: 'gone', viewerId: 'stay', viewedAt: now - 60_000 },
      { profileId: 'stay', viewerId: 'gone', viewedAt: now - 60_000 },
    ]);
    for (const [a, b] of [['owner', 'bridge'], ['bridge', 'gone'], ['gone', 'stay']]) {
      expect((await t.request('PUT', `/v1/members/${a}/connections/${b}`, { headers: auth(admin) })).status).toBe(200);
    }
    return { ws, admin, ownerKey, goneKey };
  }

  it('answers 204, then the member is 404', async () => {
    const w = await world();
    const res = await t.request('DELETE', '/v1/members/gone', { headers: auth(w.admin) });
    expect(res.status).toBe(204);
    expectNativeError(await t.request('GET', '/v1/members/gone', { headers: auth(w.admin) }), 404);
    expectNativeError(await t.request('DELETE', '/v1/members/gone', { headers: auth(w.admin) }), 404);
  });

  it.each(SURFACES.map((s) => [s.name, s] as const))('removes the member as a viewer from the %s list, total included', async (_name, surface) => {
    const w = await world();
    const before = await entriesOf(surface, t, { key: w.ownerKey, ownerId: 'owner' });
    expect(before.entries.map((e) => e.label)).toEqual(['Gary Gone', 'Stella Stay']);
    await t.request('DELETE', '/v1/members/gone', { headers: auth(w.admin) });
    const after = await entriesOf(surface, t, { key: w.ownerKey, ownerId: 'owner' });
    expect(after.entries.map((e) => e.label)).toEqual(['Stella Stay']);
    for (const secret of ['Gary Gone', 'Secret Agent', 'gary.png', 'gary-gone']) expect(after.res.text).not.toContain(secret);
    const native = await t.request('GET', '/v1/members/owner/visitors', { headers: auth(w.admin) });
    expect(native.body.total).toBe(1);
  });

  it.each(SURFACES.map((s) => [s.name, s] as const))('answers 404-like for the erased owner on %s, and revokes their key', async (name, surface) => {
    const w = await world();
    await t.request('DELETE', '/v1/members/gone', { headers: auth(w.admin) });
    const asAdmin = await surface.list(t, { key: w.admin, ownerId: 'gone', admin: true });
    expect(asAdmin.res.status).toBe(404);
    const asSelf = await surface.list(t, { key: w.goneKey, ownerId: 'gone' });
    expect(asSelf.res.status).toBe(name === 'LinkupAPI' ? 403 : 401);
  });

  it('removes their connections both ways, and their visits to others', async () => {
    const w = await world();
    const deg = async () =>
      (await t.request('GET', '/v1/members/stay/visitors?degrees=true', { headers: auth(w.admin) })).body.viewers as any[];
    expect((await t.request('GET', '/v1/members/bridge/connections', { headers: auth(w.admin) })).body.connections).toEqual(['gone', 'owner']);
    await t.request('DELETE', '/v1/members/gone', { headers: auth(w.admin) });
    expect((await t.request('GET', '/v1/members/bridge/connections', { headers: auth(w.admin) })).body.connections).toEqual(['owner']);
    expect(await deg()).toEqual([]);
  });

  it('lets the id be used again, starting from nothing', async () => {
    const w = await world();
    await t.request('DELETE', '/v1/members/gone', { headers: auth(w.admin) });
    expect((await t.request('PUT', '/v1/members/gone', { headers: auth(w.admin), body: { name: 'New Gary' } })).status).toBe(200);
    const list = await t.request('GET', '/v1/members/gone/visitors', { headers: auth(w.admin) });
    expect(list.body.total).toBe(0);
    expect((await t.request('GET', '/v1/members/gone/connections', { headers: auth(w.admin) })).body.total).toBe(0);
  });

  it('is refused to member keys and leaves other workspaces alone', async () => {
    const w = await world();
    const other = await world();
    expectNativeError(await t.request('DELETE', '/v1/members/gone', { headers: auth(w.ownerKey) }), 403);
    await t.request('DELETE', '/v1/members/gone', { headers: auth(w.admin) });
    expect((await t.request('GET', '/v1/members/gone', { headers: auth(other.admin) })).status).toBe(200);
    const list = await t.request('GET', '/v1/members/owner/visitors', { headers: auth(other.admin) });
    expect(list.body.total).toBe(2);
  });
});
