/**
 * member.created / member.updated / member.erased committed with the member change (the
 * member-change log, docs/webhooks.md "Member events"), on each backend, with real HTTP
 * receivers verifying every delivery with the standardwebhooks package: through the native API
 * and through inline profiles on visits; nothing for a write that changes nothing; changes made
 * while no app runs (a bare store, the CLI) delivered by the next one; a server SIGKILLed right
 * after acknowledging changes delivers each once after its restart; several processes on one
 * database enqueue each change once; no workspace receives another's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, dropPostgresDatabase, testStoreConfig } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { auth, until } from './support/assertions.js';
import { freePort, killServers, runCli, secretFrom, startServerProcess, type ServerProcess } from './support/processes.js';
import { startReceiver, type Receiver } from './support/receiver.js';
import { openStore } from '../src/storage/open-store.js';
import { webhookStoreFor } from '../src/webhooks/index.js';

const FAST = [0, 30, 30, 30, 30];
const MEMBER_EVENTS = ['member.created', 'member.updated', 'member.erased'];
const pause = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** Polls an asynchronous condition every 50 ms for up to `ms`. */
async function eventually(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await pause(50);
  }
  return cond();
}

/** Each delivered message as [event, memberId], sorted, after verifying every signature. */
function events(r: Receiver, secret: string): [string, string][] {
  const byId = new Map<string, [string, string]>();
  for (const [i, p] of (r.verified(secret) as any[]).entries()) byId.set(r.received[i]!.id, [p.event, p.data.memberId]);
  return [...byId.values()].sort();
}

describe.each(BACKENDS)('member events on $name', (backend) => {
  let t: TestApp;
  let ws = 0;
  const receivers: Receiver[] = [];
  const cleanup: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    t = await startTestApp(backend, { webhooks: { deliver: true, scheduleMs: FAST, timeoutMs: 2_000 } });
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  afterAll(async () => {
    await t.close();
    if (backend.name === 'postgres') await dropPostgresDatabase(t.databaseUrl);
    else rmSync(dirname(t.databaseUrl), { recursive: true, force: true });
  });

  async function receiver() {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  }
  /** A fresh workspace with an admin key and an endpoint on a receiver of its own. */
  async function workspace(app: TestApp = t, subscribed = MEMBER_EVENTS) {
    const id = `me${++ws}`;
    const admin = await app.adminKey(id);
    const r = await receiver();
    const res = await app.request('POST', '/v1/webhooks', { headers: auth(admin), body: { url: r.url, events: subscribed } });
    expect(res.status, res.text).toBe(201);
    return { id, admin, r, endpoint: res.body as { id: string; secret: string } };
  }
  const deliveries = async (app: TestApp, admin: string, endpointId: string) => {
    const res = await app.request('GET', `/v1/webhooks/${endpointId}/deliveries?limit=100`, { headers: auth(admin) });
    expect(res.status, res.text).toBe(200);
    return res.body.deliveries as any[];
  };

  it('the native API: created, updated, erased; a PUT that changes nothing sends nothing and keeps updatedAt', async () => {
    const w = await workspace();
    const put = (body: object) => t.request('PUT', '/v1/members/ann', { headers: auth(w.admin), body });
    expect((await put({ name: 'Ann', company: 'Acme' })).status).toBe(200);
    t.clock.advance(1_000);
    const same = await put({ name: 'Ann', company: 'Acme' });
    expect(same.status).toBe(200);
    expect(same.body.updatedAt).toBe(same.body.createdAt);
    t.clock.advance(1_000);
    expect((await put({ name: 'Ann B', company: 'Acme' })).status).toBe(200);
    expect((await t.request('DELETE', '/v1/members/ann', { headers: auth(w.admin) })).status).toBe(204);
    expect(await until(() => w.r.received.length >= 3, 10_000)).toBe(true);
    await pause(300);
    expect(events(w.r, w.endpoint.secret)).toEqual([
      ['member.created', 'ann'],
      ['member.erased', 'ann'],
      ['member.updated', 'ann'],
    ]);
    // Ids only, the envelope's timestamp the change's own time.
    expect(w.r.received.map((x) => x.body).join('')).not.toContain('Acme');
    expect((await deliveries(t, w.admin, w.endpoint.id)).length).toBe(3);
  });

  it('inline profiles on visits: created for new members, updated for a change, nothing for a profile sent again as it is', async () => {
    const w = await workspace();
    const visit = async (body: object) => {
      t.clock.advance(3_600_000);
      const res = await t.request('POST', '/v1/visits', { headers: auth(w.admin), body: { profileId: 'nora', viewerId: 'nick', source: 'search', ...body } });
      expect(res.status, res.text).toBe(201);
    };
    await visit({ profile: { name: 'Nora', plan: 'premium' }, viewer: { name: 'Nick', headline: 'PM' } });
    expect(await until(() => w.r.received.length >= 2, 10_000)).toBe(true);
    const head = async () => (await t.store.memberChanges.heads()).find((h) => h.workspaceId === w.id)?.position;
    expect(await head()).toBe(2);
    // The same profiles again, in full and in part: nothing changes, nothing is logged.
    await visit({ profile: { name: 'Nora', plan: 'premium' }, viewer: { name: 'Nick', headline: 'PM' } });
    await visit({ viewer: { headline: 'PM' } });
    expect(await head()).toBe(2);
    await visit({ viewer: { headline: 'CTO' } });
    expect(await until(() => w.r.received.length >= 3, 10_000)).toBe(true);
    await pause(300);
    expect(events(w.r, w.endpoint.secret)).toEqual([
      ['member.created', 'nick'],
      ['member.created', 'nora'],
      ['member.updated', 'nick'],
    ]);
    expect(await head()).toBe(3);
    // Once in the outbox, the log's entries are pruned (the head stays).
    expect(await eventually(async () => (await t.store.memberChanges.read(w.id, 0, 10)).length === 0, 5_000)).toBe(true);
  });

  it('no workspace receives or logs another workspace changes, even for the same member id', async () => {
    const a = await workspace(t, ['*']);
    const b = await workspace(t, ['*']);
    const put = (w: typeof a, name: string) => t.request('PUT', '/v1/members/sam', { headers: auth(w.admin), body: { name } });
    expect((await put(a, 'Sam A')).status).toBe(200);
    expect((await put(a, 'Sam A2')).status).toBe(200);
    expect((await put(b, 'Sam B')).status).toBe(200);
    expect(await until(() => a.r.received.length >= 2 && b.r.received.length >= 1, 10_000)).toBe(true);
    await pause(300);
    expect(events(a.r, a.endpoint.secret)).toEqual([
      ['member.created', 'sam'],
      ['member.updated', 'sam'],
    ]);
    expect(events(b.r, b.endpoint.secret)).toEqual([['member.created', 'sam']]);
    // B's secret does not verify A's messages: each endpoint got its own workspace's only.
    expect(() => a.r.verified(b.endpoint.secret)).toThrow();
    const heads = new Map((await t.store.memberChanges.heads()).map((h) => [h.workspaceId, h.position]));
    expect([heads.get(a.id), heads.get(b.id)]).toEqual([2, 1]);
  });

  it('changes written while no app runs are committed with the members, delivered by the next app, once', async () => {
    const url = await backend.freshUrl();
    cleanup.push(async () => (backend.name === 'postgres' ? dropPostgresDatabase(url) : rmSync(dirname(url), { recursive: true, force: true })));
    const first = await startTestApp(backend, { databaseUrl: url, webhooks: { deliver: true, scheduleMs: FAST } });
    const w = await workspace(first);
    await first.close();

    // The bare store, as the CLI or a process killed before its webhooks ran: no outbox write.
    const store = await openStore(testStoreConfig(url));
    try {
      await store.members.upsert(w.id, [{ id: 'x', name: 'X' }, { id: 'y', name: 'Y' }], 'replace', 1_000);
      await store.members.upsert(w.id, [{ id: 'x', name: 'X2' }], 'merge', 2_000);
      await store.members.upsert(w.id, [{ id: 'y', name: 'Y' }], 'replace', 3_000);
      expect(await store.members.erase(w.id, 'y', 4_000)).toBe(true);
      expect((await store.memberChanges.read(w.id, 0, 10)).map((c) => [c.position, c.kind, c.memberId, c.changedAt])).toEqual([
        [1, 'created', 'x', 1_000],
        [2, 'created', 'y', 1_000],
        [3, 'updated', 'x', 2_000],
        [4, 'erased', 'y', 4_000],
      ]);
      expect(await webhookStoreFor(store).listMessages({ workspaceId: w.id, endpointId: w.endpoint.id, limit: 10 })).toEqual([]);
    } finally {
      await store.close();
    }

    const second = await startTestApp(backend, { databaseUrl: url, webhooks: { deliver: true, scheduleMs: FAST } });
    try {
      expect(await until(() => w.r.received.length >= 4, 10_000)).toBe(true);
      expect(events(w.r, w.endpoint.secret)).toEqual([
        ['member.created', 'x'],
        ['member.created', 'y'],
        ['member.erased', 'y'],
        ['member.updated', 'x'],
      ]);
      // The envelope's timestamp is when the change was made, not when it was sent.
      expect((w.r.verified(w.endpoint.secret) as any[]).map((p) => p.timestamp).sort()).toEqual(['1', '1', '2', '4']);
    } finally {
      await second.close();
    }
    // Started again: nothing is enqueued twice.
    const third = await startTestApp(backend, { databaseUrl: url, webhooks: { deliver: true, scheduleMs: FAST } });
    try {
      await pause(1_500);
      expect((await deliveries(third, w.admin, w.endpoint.id)).length).toBe(4);
      expect(w.r.ids().size).toBe(4);
    } finally {
      await third.close();
    }
  });

  it('two apps on one database turn each change into exactly one message', async () => {
    const other = await startTestApp(backend, { databaseUrl: t.databaseUrl, webhooks: { deliver: true, scheduleMs: FAST } });
    try {
      const w = await workspace();
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) {
        const app = i % 2 === 0 ? t : other;
        writes.push(app.request('PUT', `/v1/members/p${i}`, { headers: auth(w.admin), body: { name: `P${i}` } }));
        writes.push(app.request('PUT', `/v1/members/p${i}`, { headers: auth(w.admin), body: { name: `P${i} changed` } }));
      }
      for (const res of (await Promise.all(writes)) as any[]) expect(res.status, res.text).toBe(200);
      // Concurrent PUTs of one member may commit in either order: the first is the creation,
      // the second a change (or nothing, if it wrote the same name).
      const logged = (await t.store.memberChanges.heads()).find((h) => h.workspaceId === w.id)!.position;
      expect(logged).toBeGreaterThanOrEqual(20);
      expect(await until(() => w.r.received.length >= logged, 15_000)).toBe(true);
      await pause(1_500);
      const got = events(w.r, w.endpoint.secret);
      expect(got).toHaveLength(logged);
      expect(got.filter(([e]) => e === 'member.created').map(([, m]) => m).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}`).sort());
      expect(w.r.ids().size).toBe(logged);
      expect((await deliveries(t, w.admin, w.endpoint.id)).length).toBe(logged);
    } finally {
      await other.close();
    }
  });
});

describe.each(BACKENDS)('member events across processes on $name', (backend) => {
  const T = { timeout: 120_000 };
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await killServers();
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  async function setup() {
    const databaseUrl = await backend.freshUrl();
    if (backend.name === 'postgres') cleanup.push(() => dropPostgresDatabase(databaseUrl));
    else cleanup.push(async () => rmSync(dirname(databaseUrl), { recursive: true, force: true }));
    const env = { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_TIMEOUT_MS: '2000', WEBHOOK_RETRY_SCHEDULE_MS: '0,100,100,100' };
    const key = await runCli(['keys', 'create', '--workspace', 'acme'], env);
    expect(key.code, key.stderr).toBe(0);
    const r = await startReceiver();
    cleanup.push(() => r.close());
    return { env, r, headers: { 'x-api-key': secretFrom(key.stdout), 'content-type': 'application/json' } };
  }
  async function call(s: ServerProcess, headers: Record<string, string>, method: string, path: string, body?: unknown) {
    const sent = body === undefined ? { 'x-api-key': headers['x-api-key']! } : headers;
    const res = await fetch(s.url + path, { method, headers: sent, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
    return text ? JSON.parse(text) : undefined;
  }
  const start = async (env: Record<string, string>) => startServerProcess({ ...env, PORT: String(await freePort()) });

  it('members written by the CLI while no server runs are delivered by the server started next, once', T, async () => {
    const { env, r, headers } = await setup();
    let server = await start(env);
    const ep = await call(server, headers, 'POST', '/v1/webhooks', { url: r.url, events: ['*'] });
    server.child.kill('SIGTERM');
    await server.exited;
    for (const args of [
      ['members', 'add', 'ada', '--workspace', 'acme', '--name', 'Ada'],
      ['members', 'add', 'bob', '--workspace', 'acme', '--name', 'Bob'],
      ['members', 'add', 'ada', '--workspace', 'acme', '--name', 'Ada Lovelace'],
      ['members', 'add', 'bob', '--workspace', 'acme', '--name', 'Bob'],
    ]) {
      const res = await runCli(args, env);
      expect(res.code, res.stderr).toBe(0);
    }
    const dir = mkdtempSync(join(tmpdir(), 'pv-member-events-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'members.ndjson'), '{"id":"cy","name":"Cy"}\n{"id":"ada","name":"Ada Lovelace"}\n');
    const imported = await runCli(['members', 'import', join(dir, 'members.ndjson'), '--workspace', 'acme'], env);
    expect(imported.code, imported.stderr).toBe(0);
    server = await start(env);
    const expected = [
      ['member.created', 'ada'],
      ['member.created', 'bob'],
      ['member.created', 'cy'],
      ['member.updated', 'ada'],
    ];
    expect(await until(() => r.received.length >= expected.length, 30_000)).toBe(true);
    expect(events(r, ep.secret)).toEqual(expected);
    // Killed and started again: nothing is enqueued twice.
    server.child.kill('SIGKILL');
    await server.exited;
    server = await start(env);
    await pause(2_000);
    const log = await call(server, headers, 'GET', `/v1/webhooks/${ep.id}/deliveries?limit=100`);
    expect(log.deliveries).toHaveLength(expected.length);
    expect(r.ids().size).toBe(expected.length);
  });

  it('with two servers on one database, one SIGKILLed right after acknowledging changes, each change is delivered and enqueued once', T, async () => {
    const { env, r, headers } = await setup();
    const a = await start(env);
    const b = await start(env);
    const ep = await call(a, headers, 'POST', '/v1/webhooks', { url: r.url, events: MEMBER_EVENTS });
    // Changes through both servers: the native API and inline profiles on visits.
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      const s = i % 2 === 0 ? a : b;
      writes.push(call(s, headers, 'PUT', `/v1/members/n${i}`, { name: `N${i}` }));
      writes.push(call(s, headers, 'POST', '/v1/visits', { profileId: `o${i}`, viewerId: `v${i}`, profile: { name: `O${i}` }, viewer: { name: `V${i}` } }));
    }
    await Promise.all(writes);
    // Changes on `a`, killed the moment they are acknowledged.
    await Promise.all([
      call(a, headers, 'PUT', '/v1/members/n0', { name: 'N0 changed' }),
      call(a, headers, 'DELETE', '/v1/members/n1'),
      call(a, headers, 'POST', '/v1/visits', { profileId: 'o2', viewerId: 'k', profile: { headline: 'changed' }, viewer: { name: 'K' } }),
    ]);
    a.child.kill('SIGKILL');
    await a.exited;
    const expected = [
      ...Array.from({ length: 10 }, (_, i) => [['member.created', `n${i}`], ['member.created', `o${i}`], ['member.created', `v${i}`]]).flat(),
      ['member.created', 'k'],
      ['member.erased', 'n1'],
      ['member.updated', 'n0'],
      ['member.updated', 'o2'],
    ].sort();
    // `b` finds what `a` left behind by polling; `a` started again finds it too: once in all.
    const again = await start(env);
    expect(await until(() => r.received.length >= expected.length, 30_000)).toBe(true);
    await pause(2_000);
    expect(events(r, ep.secret)).toEqual(expected);
    expect(r.ids().size).toBe(expected.length);
    const log = await call(again, headers, 'GET', `/v1/webhooks/${ep.id}/deliveries?limit=100`);
    expect(log.deliveries).toHaveLength(expected.length);
  });
});
