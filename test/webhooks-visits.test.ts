/**
 * profile.visited from the visit log, on each backend: one message per counted visit (none for
 * self-views, repeats or replays), rendered at delivery time through the reading rules: private
 * viewers anonymous, characteristics only their label's one trait, the free plan's blur by
 * recency, nothing about the viewer for a free owner browsing privately, and no delivery at all
 * for a viewer erased or blocked before it. Planted secrets of hidden viewers never appear.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectionRunner } from '../src/core/index.js';
import { BACKENDS, dropPostgresDatabase } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { auth } from './support/assertions.js';
import { webhookStoreFor } from '../src/webhooks/index.js';
import { startReceiver, type Receiver } from './support/receiver.js';

const SECRET = 'PLANTED-SECRET';

describe.each(BACKENDS)('profile.visited on $name', (backend) => {
  let t: TestApp;
  let runner: ProjectionRunner;
  let r: Receiver;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(backend, { webhooks: { deliver: true, scheduleMs: [0, 30, 30] } });
    runner = new ProjectionRunner(t.store.visitLog, t.store.projections);
    r = await startReceiver();
    admin = await t.adminKey('pv');
  });
  afterAll(async () => {
    await runner.stop();
    await r.close();
    await t.close();
    if (backend.name === 'postgres') await dropPostgresDatabase(t.databaseUrl);
    else rmSync(dirname(t.databaseUrl), { recursive: true, force: true });
  });

  const hidden = (id: string, visibility: string, company: string | null = 'Acme') => ({
    id,
    name: `${SECRET} name of ${id}`,
    headline: `${SECRET} headline`,
    imageUrl: `https://img.example/${SECRET}.png`,
    publicIdentifier: `${SECRET}-${id}`,
    profileUrl: `https://example.com/in/${SECRET}`,
    company,
    industry: `${SECRET} industry`,
    location: `${SECRET} location`,
    visibility: visibility as 'private' | 'characteristics',
  });

  it('sends each counted visit once, rendered as the owner may see it at delivery time', async () => {
    await t.members('pv', [
      { id: 'prem', plan: 'premium' },
      { id: 'free', plan: 'free' },
      { id: 'freepriv', plan: 'free', visibility: 'private' },
      { id: 'vfull', name: 'Vera Full', company: 'Initech' },
      hidden('vchar', 'characteristics'),
      hidden('vpriv', 'private'),
      { ...hidden('verased', 'characteristics'), visibility: 'full' },
      { ...hidden('vblocked', 'characteristics'), visibility: 'full' },
      ...Array.from({ length: 5 }, (_, i) => ({ id: `f${i}`, name: `Filler ${i}` })),
      { ...hidden('old', 'characteristics'), visibility: 'full' as const },
    ]);
    const ep = (await t.request('POST', '/v1/webhooks', { headers: auth(admin), body: { url: r.url, events: ['profile.visited'] } })).body;
    // Held back until every visit is recorded, so that ranks at delivery are known.
    await t.request('PATCH', `/v1/webhooks/${ep.id}`, { headers: auth(admin), body: { enabled: false } });
    const visit = async (profileId: string, viewerId: string, id?: string) => {
      t.clock.advance(60_000);
      const res = await t.request('POST', '/v1/visits', { headers: auth(admin), body: { profileId, viewerId, source: 'search', ...(id ? { id } : {}) } });
      expect(res.status, res.text).toBeLessThan(300);
      return res.body.status as string;
    };
    expect(await visit('prem', 'vfull', 'c-1')).toBe('recorded');
    expect(await visit('prem', 'vfull', 'c-1')).toBe('replayed');
    expect(await visit('prem', 'vfull')).toBe('deduplicated');
    expect(await visit('prem', 'prem')).toBe('self_view');
    await visit('prem', 'vchar');
    await visit('prem', 'vpriv');
    await visit('prem', 'verased');
    await visit('prem', 'vblocked');
    // The free owner: `old` first, then five more recent viewers push it out of the first five.
    await visit('free', 'old');
    for (let i = 0; i < 5; i++) await visit('free', `f${i}`);
    await visit('freepriv', 'vfull', 'fp-1');
    await runner.runOnce();
    // After the outbox has the messages and before delivery: one viewer erased, one blocked.
    expect((await t.request('DELETE', '/v1/members/verased', { headers: auth(admin) })).status).toBe(204);
    expect((await t.request('PUT', '/v1/members/prem/blocks/vblocked', { headers: auth(admin) })).status).toBe(200);
    // The erased viewer left the outbox with the log: no stored message names them any more.
    const stored = await webhookStoreFor(t.store).listMessages({ workspaceId: 'pv', endpointId: ep.id, limit: 100 });
    expect(stored).toHaveLength(12);
    expect(stored.map((m) => m.payload).join('')).not.toContain('verased');
    await t.request('PATCH', `/v1/webhooks/${ep.id}`, { headers: auth(admin), body: { enabled: true } });
    const all = async () => (await t.request('GET', `/v1/webhooks/${ep.id}/deliveries?limit=100`, { headers: auth(admin) })).body.deliveries as any[];
    let ds = await all();
    for (let i = 0; i < 400 && ds.some((d) => d.status === 'pending'); i++) {
      await new Promise((res) => setTimeout(res, 25));
      ds = await all();
    }
    // Counted visits: prem x5 (vfull, vchar, vpriv, verased, vblocked), free x6, freepriv x1 = 12;
    // the erased and the blocked viewer's are cancelled, never sent.
    expect(ds).toHaveLength(12);
    expect(ds.filter((d) => d.status === 'delivered')).toHaveLength(10);
    expect(ds.filter((d) => d.status === 'cancelled')).toHaveLength(2);
    const bodies = r.verified(ep.secret) as any[];
    expect(bodies).toHaveLength(10);
    expect(new Set(r.received.map((x) => x.id)).size).toBe(10);
    const by = (profileId: string, pred: (d: any) => boolean = () => true) => bodies.filter((b) => b.event === 'profile.visited' && b.data.profileId === profileId && pred(b.data));

    const [full] = by('prem', (d) => d.visitId === 'c-1');
    expect(full.data).toMatchObject({ profileId: 'prem', source: 'search', viewCount: 1, viewer: { appearance: 'full', blurred: false, label: 'Vera Full', profile: { id: 'vfull', name: 'Vera Full' } } });
    expect(full.timestamp).toBe(String(Math.floor(full.data.viewedAt / 1000)));
    const chars = by('prem', (d) => d.viewer?.appearance === 'characteristics');
    expect(chars).toHaveLength(1);
    expect(chars[0].data.viewer).toEqual({ appearance: 'characteristics', blurred: false, label: 'Someone at Acme', profile: null, traits: { company: 'Acme', industry: null, location: null } });
    expect(chars[0].data.viewedAt % 3_600_000).toBe(0);
    const privs = by('prem', (d) => d.viewer?.appearance === 'private');
    expect(privs).toHaveLength(1);
    expect(privs[0].data.viewer).toEqual({ appearance: 'private', blurred: false, label: 'Anonymous member', profile: null, traits: null });
    // Free owner: five in full, `old` (sixth by recency at delivery time) blurred.
    const free = by('free');
    expect(free).toHaveLength(6);
    const blurred = free.filter((b) => b.data.viewer.blurred);
    expect(blurred).toHaveLength(1);
    expect(blurred[0].data.viewer).toMatchObject({ appearance: 'characteristics', profile: null });
    // Reciprocity: a free owner browsing privately is told of the visit, not of the viewer.
    const [fp] = by('freepriv');
    expect(fp.data).toMatchObject({ profileId: 'freepriv', visitId: 'fp-1', viewer: null, viewCount: null });
    // Erased and blocked viewers: nothing sent about them.
    const text = r.received.map((x) => x.body).join('\n');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('verased');
    expect(text).not.toContain('vblocked');
    expect(text).not.toContain('"vchar"');
    expect(text).not.toContain('"vpriv"');
  });
});
