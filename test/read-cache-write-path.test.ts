/**
 * Every write route of the app, on SQLite with the read cache on: what it changes is in the
 * very next read (docs/sqlite-writes.md), and none of it reached SQLite except through the
 * write API (storage/sqlite/writes.ts), which counts the writes it did not make. The route list
 * is read from the app itself: a new write route fails the last test here until it is given a
 * trial (or, for the admin console's forms and other routes driven elsewhere, named with the
 * test file that drives them; the test app checks the same count when it closes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { auth, expectNativeError } from './support/assertions.js';
import { sqliteBackend } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const WS = 'paths';

/** "METHOD /path" of every route that is not a read (GET, HEAD), from Fastify's route tree. */
function writeRoutes(t: TestApp): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of t.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([\s│├└─]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('');
    for (const method of m[3]!.split(', ')) if (method !== 'GET' && method !== 'HEAD') out.push(`${method} ${path}`);
  }
  return out;
}

describe('SQLite read cache: every write path goes through the write API', () => {
  let t: TestApp;
  let admin: string;
  let owner: string;
  const bypasses = () => (t.store as SqliteStore).bypasses();
  const visitors = async () => {
    const res = await t.request('GET', '/v1/members/o/visitors?limit=50&degrees=true', { headers: auth(owner) });
    expect(res.status, res.text).toBe(200);
    return res.body as { total: number; viewers: { viewer: { id: string; name: string | null } | null; degree: string | null; viewCount: number }[] };
  };
  const viewerIds = async () => (await visitors()).viewers.map((v) => v.viewer?.id);
  const ok = (res: { status: number; text: string }) => expect(res.status, res.text).toBeLessThan(300);

  beforeAll(async () => {
    // The last test writes around the write API on purpose.
    t = await startTestApp(sqliteBackend, { rawWrites: true });
    expect((t.store as SqliteStore).stats!().sqlite_read_cache_bytes).toBeDefined();
    admin = await t.adminKey(WS);
    await t.members(WS, ['o', 'a', 'b', 'c', 'd'].map((id) => ({ id, name: `Name ${id}`, plan: 'premium' as const })));
    owner = await t.memberKey(WS, 'o');
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Trials by route; each warms the cache with the read it then expects to change. */
  const trials: Record<string, () => Promise<void>> = {
    'POST /v1/visits': async () => {
      expect(await viewerIds()).toEqual([]);
      ok(await t.request('POST', '/v1/visits', { headers: auth(admin), body: { profileId: 'o', viewerId: 'a' } }));
      expect(await viewerIds()).toEqual(['a']);
    },
    'POST /v1/visits/batch': async () => {
      ok(await t.request('POST', '/v1/visits/batch', { headers: auth(admin), body: { visits: [{ profileId: 'o', viewerId: 'b' }] } }));
      expect((await viewerIds()).sort()).toEqual(['a', 'b']);
    },
    'PUT /v1/members/:memberId': async () => {
      expect((await visitors()).viewers.find((v) => v.viewer?.id === 'a')?.viewer?.name).toBe('Name a');
      ok(await t.request('PUT', '/v1/members/a', { headers: auth(admin), body: { name: 'Renamed a', plan: 'premium' } }));
      expect((await visitors()).viewers.find((v) => v.viewer?.id === 'a')?.viewer?.name).toBe('Renamed a');
    },
    'PUT /v1/members/:memberId/connections/:otherId': async () => {
      expect((await visitors()).viewers.find((v) => v.viewer?.id === 'b')?.degree).toBe('3rd+');
      ok(await t.request('PUT', '/v1/members/o/connections/b', { headers: auth(admin) }));
      expect((await visitors()).viewers.find((v) => v.viewer?.id === 'b')?.degree).toBe('1st');
    },
    'DELETE /v1/members/:memberId/connections/:otherId': async () => {
      ok(await t.request('DELETE', '/v1/members/o/connections/b', { headers: auth(admin) }));
      expect((await visitors()).viewers.find((v) => v.viewer?.id === 'b')?.degree).toBe('3rd+');
    },
    'PUT /v1/members/:memberId/blocks/:otherId': async () => {
      ok(await t.request('PUT', '/v1/members/o/blocks/b', { headers: auth(admin) }));
      expect(await viewerIds()).toEqual(['a']);
    },
    'DELETE /v1/members/:memberId/blocks/:otherId': async () => {
      ok(await t.request('DELETE', '/v1/members/o/blocks/b', { headers: auth(admin) }));
      expect((await viewerIds()).sort()).toEqual(['a', 'b']);
    },
    'DELETE /v1/members/:memberId': async () => {
      ok(await t.request('POST', '/v1/visits', { headers: auth(admin), body: { profileId: 'o', viewerId: 'd' } }));
      expect((await viewerIds()).sort()).toEqual(['a', 'b', 'd']);
      ok(await t.request('DELETE', '/v1/members/d', { headers: auth(admin) }));
      expect((await viewerIds()).sort()).toEqual(['a', 'b']);
    },
    'POST /v1/keys': async () => {
      const res = await t.request('POST', '/v1/keys', { headers: auth(admin), body: { role: 'member', memberId: 'c', credits: null } });
      ok(res);
      expect((await t.request('GET', '/v1/members/c/visitors', { headers: auth(res.body.secret) })).status).toBe(200);
      keys.c = res.body;
    },
    'PUT /v1/keys/:keyId/credits': async () => {
      // An unlimited key is remembered as such once charged (LinkupAPI charges every read).
      ok(await t.request('POST', '/v1/visits', { headers: auth(admin), body: { profileId: 'c', viewerId: 'a' } }));
      const read = () => t.request('POST', '/v2/profiles', { headers: auth(keys.c!.secret), body: { account_id: 'c', action: 'get_viewers' } });
      ok(await read());
      ok(await read());
      ok(await t.request('PUT', `/v1/keys/${keys.c!.id}/credits`, { headers: auth(admin), body: { credits: 1 } }));
      expect((await read()).body.metadata.credits_consumed).toBe(1);
      expect((await read()).status).toBe(402);
    },
    'DELETE /v1/keys/:keyId': async () => {
      ok(await t.request('DELETE', `/v1/keys/${keys.c!.id}`, { headers: auth(admin) }));
      expect((await t.request('GET', '/v1/members/c/visitors', { headers: auth(keys.c!.secret) })).status).toBe(401);
    },
    'PATCH /v1/workspace/settings': async () => {
      const before = await t.request('GET', '/v1/workspace', { headers: auth(admin) });
      ok(before);
      const res = await t.request('PATCH', '/v1/workspace/settings', { headers: auth(admin), body: { dedupWindowMs: 300_000 } });
      ok(res);
      expect((await t.request('GET', '/v1/workspace', { headers: auth(admin) })).body.settings.dedupWindowMs).toBe(300_000);
    },
    'POST /v1/webhooks': async () => {
      const res = await t.request('POST', '/v1/webhooks', { headers: auth(admin), body: { url: 'http://127.0.0.1:9/hook', events: ['*'] } });
      ok(res);
      hook = res.body.id;
      expect((await t.request('GET', `/v1/webhooks/${hook}`, { headers: auth(admin) })).status).toBe(200);
    },
    'PATCH /v1/webhooks/:webhookId': async () => {
      ok(await t.request('PATCH', `/v1/webhooks/${hook}`, { headers: auth(admin), body: { description: 'changed' } }));
      expect((await t.request('GET', `/v1/webhooks/${hook}`, { headers: auth(admin) })).body.description).toBe('changed');
    },
    'POST /v1/webhooks/:webhookId/rotate-secret': async () => ok(await t.request('POST', `/v1/webhooks/${hook}/rotate-secret`, { headers: auth(admin) })),
    'POST /v1/webhooks/:webhookId/test': async () => ok(await t.request('POST', `/v1/webhooks/${hook}/test`, { headers: auth(admin) })),
    'POST /v1/webhooks/:webhookId/replay': async () =>
      ok(await t.request('POST', `/v1/webhooks/${hook}/replay`, { headers: auth(admin), body: { since: 0, until: Date.UTC(2030, 0, 1) } })),
    'POST /v1/webhooks/:webhookId/deliveries/:messageId/retry': async () => {
      const list = await t.request('GET', `/v1/webhooks/${hook}/deliveries`, { headers: auth(admin) });
      ok(list);
      const first = (list.body.deliveries ?? list.body.messages ?? list.body.data ?? [])[0];
      if (first) expect((await t.request('POST', `/v1/webhooks/${hook}/deliveries/${first.id}/retry`, { headers: auth(admin) })).status).toBeLessThan(500);
    },
    'DELETE /v1/webhooks/:webhookId': async () => {
      ok(await t.request('DELETE', `/v1/webhooks/${hook}`, { headers: auth(admin) }));
      expectNativeError(await t.request('GET', `/v1/webhooks/${hook}`, { headers: auth(admin) }), 404);
    },
    // Reads of the other dialects, posted: they charge the key (through the write API).
    'POST /v2/profiles': async () => ok(await t.request('POST', '/v2/profiles', { headers: auth(admin), body: { account_id: 'o', action: 'get_viewers' } })),
    'POST /linkedin/profile/visitors': async () =>
      ok(await t.request('POST', '/linkedin/profile/visitors', { headers: { authorization: `Bearer ${owner}` }, body: { count: 5 } })),
    'POST /v1/members/:memberId/embed-tokens': async () => ok(await t.request('POST', '/v1/members/o/embed-tokens', { headers: auth(admin), body: {} })),
  };
  const keys: Record<string, { id: string; secret: string }> = {};
  let hook = '';

  /** Routes driven by other test files (the test app checks there that nothing went around the write API). */
  const drivenElsewhere: Record<string, string> = {
    'POST /admin/sign-in': 'pages-admin.test.ts',
    'POST /admin/sign-out': 'pages-admin.test.ts',
    'POST /admin/settings': 'pages-admin.test.ts',
    'POST /admin/keys': 'pages-admin.test.ts',
    'POST /admin/keys/:keyId/revoke': 'pages-admin.test.ts',
    'POST /admin/keys/:keyId/credits': 'pages-admin.test.ts',
    'POST /admin/webhooks/:endpointId/enable': 'pages-console-webhooks.test.ts',
    'POST /admin/webhooks/:endpointId/disable': 'pages-console-webhooks.test.ts',
    'POST /admin/webhooks/:endpointId/deliveries/:messageId/retry': 'pages-console-webhooks.test.ts',
    'POST /admin/webhooks/:endpointId/replay': 'pages-console-webhooks.test.ts',
  };

  for (const [route, trial] of Object.entries(trials)) {
    it(`${route}: the next read sees it, and it went through the write API`, async () => {
      await trial();
      expect(bypasses()).toBe(0);
    });
  }

  it('every write route of the app has a trial here or is driven elsewhere', () => {
    const routes = writeRoutes(t);
    expect(routes.length).toBeGreaterThan(20);
    const untried = routes.filter((r) => !(r in trials) && !(r in drivenElsewhere));
    expect(untried, 'give these routes a trial above').toEqual([]);
    const gone = [...Object.keys(trials), ...Object.keys(drivenElsewhere)].filter((r) => !routes.includes(r));
    expect(gone, 'routes named here that the app no longer has').toEqual([]);
  });

  it('a write that goes around the write API is noticed: the next read is fresh, and it is counted', async () => {
    const raw = (t.store as SqliteStore).raw;
    const before = bypasses();
    expect((await visitors()).viewers.find((v) => v.viewer?.id === 'a')?.viewer?.name).toBe('Renamed a');
    raw.prepare("UPDATE members SET name = 'Changed behind its back' WHERE workspace_id = ? AND id = 'a'").run(WS);
    expect((await visitors()).viewers.find((v) => v.viewer?.id === 'a')?.viewer?.name).toBe('Changed behind its back');
    expect(bypasses()).toBe(before + 1);
  });
});
