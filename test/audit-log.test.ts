/**
 * The audit log (docs/privacy-controls.md, "Audit log"): every admin action is recorded with the
 * acting key's id, the time, the action and its target, read back at GET /v1/audit (admin only,
 * paged), and no entry holds a key's secret or a profile's values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/core/index.js';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { auth, expectNativeError } from './support/assertions.js';

describe.each(BACKENDS)('audit log on $name', (backend) => {
  let t: TestApp;
  let admin: { id: string; secret: string };
  const WS = 'audited';

  beforeAll(async () => {
    t = await startTestApp(backend);
    const ws = await t.workspace(WS);
    const { key, secret } = await createApiKey({ store: t.store, clock: t.clock }, ws, { role: 'admin' });
    admin = { id: key.id, secret };
  });
  afterAll(() => t?.close());

  const call = async (method: string, path: string, body?: unknown, key = admin.secret) => {
    const res = await t.request(method, path, { headers: auth(key), ...(body === undefined ? {} : { body }) });
    expect(res.status, `${method} ${path}: ${res.text}`).toBeLessThan(300);
    t.clock.advance(1000);
    return res;
  };

  it('records each admin action with its actor, time, action and target, and nothing secret', async () => {
    const start = t.clock.now();
    await call('PATCH', '/v1/workspace/settings', { freeFullViewers: 3 });
    await call('PUT', '/v1/members/alice', { name: 'Alice SECRETNAME', company: 'SECRETCO' });
    await call('PUT', '/v1/members/bob', { name: 'Bob' });
    const created = await call('POST', '/v1/keys', { role: 'member', memberId: 'alice', name: 'alice key' });
    const keyId = created.body.id as string;
    const memberSecret = created.body.secret as string;
    await call('PUT', `/v1/keys/${keyId}/credits`, { credits: 7 });
    await call('PUT', '/v1/members/alice/blocks/bob', undefined, memberSecret);
    await call('DELETE', '/v1/members/alice/blocks/bob');
    await call('DELETE', `/v1/keys/${keyId}`);
    await call('DELETE', '/v1/members/bob');

    const res = await call('GET', '/v1/audit?limit=100');
    const rows = res.body.entries.map((e: any) => [e.actorKeyId, e.action, e.target, e.details]);
    expect(rows).toEqual([
      [admin.id, 'settings.updated', WS, { changed: { freeFullViewers: 3 } }],
      [admin.id, 'member.upserted', 'alice', { fields: ['company', 'name'] }],
      [admin.id, 'member.upserted', 'bob', { fields: ['name'] }],
      [admin.id, 'key.created', keyId, { role: 'member', memberId: 'alice', credits: null }],
      [admin.id, 'key.credits_set', keyId, { credits: 7 }],
      // A member's own block is recorded with the member's key.
      [keyId, 'block.added', 'alice', { otherId: 'bob', changed: true }],
      [admin.id, 'block.removed', 'alice', { otherId: 'bob', changed: true }],
      [admin.id, 'key.revoked', keyId, null],
      [admin.id, 'member.erased', 'bob', null],
    ]);
    expect(res.body.entries.map((e: any) => e.at)).toEqual(Array.from({ length: 9 }, (_, i) => start + i * 1000));
    expect(res.body.nextAfter).toBeNull();
    for (const secret of [memberSecret, admin.secret, 'SECRETNAME', 'SECRETCO']) expect(res.text).not.toContain(secret);
  });

  it('pages with limit and after, filters with since, and is for admins only', async () => {
    const all = (await call('GET', '/v1/audit')).body.entries as any[];
    expect(all.length).toBeGreaterThanOrEqual(9);
    const seen: any[] = [];
    let after = 0;
    for (;;) {
      const page = await call('GET', `/v1/audit?limit=4&after=${after}`);
      seen.push(...page.body.entries);
      if (page.body.nextAfter === null) break;
      after = page.body.nextAfter;
    }
    expect(seen).toEqual(all);
    const since = all[5].at;
    expect((await call('GET', `/v1/audit?since=${since}`)).body.entries).toEqual(all.slice(5));

    const member = await t.memberKey(WS, 'alice');
    expectNativeError(await t.request('GET', '/v1/audit', { headers: auth(member) }), 403);
    expectNativeError(await t.request('GET', '/v1/audit?limit=0', { headers: auth(admin.secret) }), 400);
    // Another workspace's admin sees none of it.
    const other = await t.adminKey('elsewhere');
    expect((await call('GET', '/v1/audit', undefined, other)).body.entries).toEqual([]);
  });
});
