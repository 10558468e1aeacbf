/**
 * Webhooks through the real app and real HTTP receivers, on each backend: endpoints, signed
 * deliveries verified with the standardwebhooks package, member events, the retry schedule
 * (shortened), timeouts, refused connections and redirects, 410 and 5-day auto-disable,
 * Retry-After, secret rotation, the delivery log, retry and replay, per-endpoint concurrency.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { BACKENDS, dropPostgresDatabase } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { auth, expectNativeError, until } from './support/assertions.js';
import { freePort } from './support/processes.js';
import { startReceiver, type Receiver } from './support/receiver.js';
import { openWebhooks, webhookStoreFor } from '../src/webhooks/index.js';

const FAST = [0, 30, 30, 30, 30];

describe.each(BACKENDS)('webhooks on $name', (backend) => {
  let t: TestApp;
  let admin: string;
  let ws = 0;
  const receivers: Receiver[] = [];
  beforeAll(async () => {
    t = await startTestApp(backend, { webhooks: { deliver: true, scheduleMs: FAST, timeoutMs: 400 } });
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });
  afterAll(async () => {
    await t.close();
    if (backend.name === 'postgres') await dropPostgresDatabase(t.databaseUrl);
    else rmSync(dirname(t.databaseUrl), { recursive: true, force: true });
  });

  /** A fresh workspace per test, so deliveries of one never reach another's endpoints. */
  async function workspace() {
    const id = `wh${++ws}`;
    admin = await t.adminKey(id);
    return id;
  }
  async function receiver(answer?: Parameters<typeof startReceiver>[0]) {
    const r = await startReceiver(answer);
    receivers.push(r);
    return r;
  }
  async function endpoint(url: string, events: string[] = ['*']) {
    const res = await t.request('POST', '/v1/webhooks', { headers: auth(admin), body: { url, events } });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; secret: string };
  }
  const deliveries = async (id: string, query = '') => {
    const res = await t.request('GET', `/v1/webhooks/${id}/deliveries${query}`, { headers: auth(admin) });
    expect(res.status, res.text).toBe(200);
    return res.body.deliveries as any[];
  };
  const putMember = (id: string, body: object = {}) => t.request('PUT', `/v1/members/${id}`, { headers: auth(admin), body });

  it('creates an endpoint with a whsec_ secret shown once, lists, reads, changes and deletes it', async () => {
    await workspace();
    const created = await endpoint('https://example.com/hooks', ['profile.visited', 'member.created']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(created.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
    const list = await t.request('GET', '/v1/webhooks', { headers: auth(admin) });
    expect(list.body.webhooks).toHaveLength(1);
    expect(list.text).not.toContain(created.secret.slice(6));
    const one = await t.request('GET', `/v1/webhooks/${created.id}`, { headers: auth(admin) });
    expect(one.body).toMatchObject({ id: created.id, url: 'https://example.com/hooks', events: ['profile.visited', 'member.created'], enabled: true });
    expect(one.body.secret).toBeUndefined();
    const patched = await t.request('PATCH', `/v1/webhooks/${created.id}`, { headers: auth(admin), body: { enabled: false, events: ['member.erased'] } });
    expect(patched.body).toMatchObject({ enabled: false, events: ['member.erased'], disabledReason: 'disabled by an administrator' });
    const back = await t.request('PATCH', `/v1/webhooks/${created.id}`, { headers: auth(admin), body: { enabled: true } });
    expect(back.body).toMatchObject({ enabled: true, disabledAt: null, disabledReason: null });
    expect((await t.request('DELETE', `/v1/webhooks/${created.id}`, { headers: auth(admin) })).status).toBe(204);
    expectNativeError(await t.request('GET', `/v1/webhooks/${created.id}`, { headers: auth(admin) }), 404);
  });

  it('refuses bad input with a 400, member keys with a 403, and other workspaces see nothing', async () => {
    const id = await workspace();
    expectNativeError(await t.request('POST', '/v1/webhooks', { headers: auth(admin), body: { url: 'ftp://example.com', events: ['*'] } }), 400, /http or https/);
    expectNativeError(await t.request('POST', '/v1/webhooks', { headers: auth(admin), body: { url: 'not a url', events: ['*'] } }), 400);
    expectNativeError(await t.request('POST', '/v1/webhooks', { headers: auth(admin), body: { url: 'https://example.com', events: ['nope'] } }), 400, /must be one of/);
    expectNativeError(await t.request('POST', '/v1/webhooks', { headers: auth(admin), body: { url: 'https://example.com', events: [] } }), 400);
    const created = await endpoint('https://example.com/a');
    await t.members(id, [{ id: 'ann' }]);
    const member = await t.memberKey(id, 'ann');
    expectNativeError(await t.request('GET', '/v1/webhooks', { headers: auth(member) }), 403);
    const otherAdmin = await t.adminKey('wh-other');
    expectNativeError(await t.request('GET', `/v1/webhooks/${created.id}`, { headers: auth(otherAdmin) }), 404);
    expectNativeError(await t.request('POST', `/v1/webhooks/${created.id}/replay`, { headers: auth(admin), body: { since: 10, until: 5 } }), 400, /until must be after since/);
  });

  it('delivers webhook.test signed per Standard Webhooks in the {event, timestamp, data} envelope', async () => {
    await workspace();
    const r = await receiver();
    const e = await endpoint(r.url, ['member.erased']);
    const res = await t.request('POST', `/v1/webhooks/${e.id}/test`, { headers: auth(admin) });
    expect(res.status, res.text).toBe(202);
    expect(await until(() => r.received.length === 1, 10_000)).toBe(true);
    const [payload] = r.verified(e.secret) as any[];
    expect(payload).toEqual({ event: 'webhook.test', timestamp: expect.stringMatching(/^\d{10}$/), data: { endpointId: e.id, message: expect.any(String) } });
    expect(r.received[0]!.id).toBe(res.body.messageId);
    expect(r.received[0]!.headers['content-type']).toBe('application/json');
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(r.received[0]!.body, r.received[0]!.headers as any)).toThrow();
    const [d] = await deliveries(e.id);
    expect(d).toMatchObject({ id: res.body.messageId, event: 'webhook.test', attemptCount: 1, attempts: [{ n: 1, statusCode: 200, error: null, responseBody: 'ok' }] });
  });

  it('sends member.created, member.updated and member.erased with ids only', async () => {
    await workspace();
    const r = await receiver();
    const e = await endpoint(r.url, ['member.created', 'member.updated', 'member.erased']);
    expect((await putMember('ann', { name: 'Ann Secret', company: 'Acme' })).status).toBe(200);
    await new Promise((res) => setTimeout(res, 5));
    expect((await putMember('ann', { name: 'Ann Secret 2' })).status).toBe(200);
    expect((await t.request('DELETE', '/v1/members/ann', { headers: auth(admin) })).status).toBe(204);
    expect(await until(() => r.received.length === 3, 10_000)).toBe(true);
    const events = (r.verified(e.secret) as any[]).map((p) => [p.event, p.data]).sort();
    expect(events).toEqual([
      ['member.created', { memberId: 'ann' }],
      ['member.erased', { memberId: 'ann' }],
      ['member.updated', { memberId: 'ann' }],
    ]);
    expect(r.received.map((x) => x.body).join('')).not.toContain('Secret');
  });

  it('retries a 500 on the schedule with the same webhook-id until a 2xx, each attempt in the log', async () => {
    await workspace();
    const r = await receiver((_r, res, i) => void (i < 2 ? res.writeHead(500).end('x'.repeat(3000)) : res.writeHead(204).end()));
    const e = await endpoint(r.url, ['member.created']);
    await putMember('bob');
    expect(await until(() => r.received.length === 3, 10_000)).toBe(true);
    expect(new Set(r.received.map((x) => x.id)).size).toBe(1);
    r.verified(e.secret);
    let [d] = await deliveries(e.id);
    for (let i = 0; i < 100 && d.status !== 'delivered'; i++) [d] = await deliveries(e.id);
    expect(d.status).toBe('delivered');
    expect(d.attempts.map((a: any) => a.statusCode)).toEqual([500, 500, 204]);
    expect(d.attempts[0].error).toBe('HTTP 500');
    expect(d.attempts[0].responseBody).toBe('x'.repeat(1024));
    expect((await deliveries(e.id, '?status=failed'))).toEqual([]);
  });

  it('a timeout and a refused connection are failures that are retried', async () => {
    await workspace();
    const hang = await receiver((_r, res, i) => void (i === 0 ? undefined : res.writeHead(200).end()));
    const e1 = await endpoint(hang.url, ['member.created']);
    const port = await freePort();
    const e2 = await endpoint(`http://127.0.0.1:${port}/later`, ['member.created']);
    await putMember('cat');
    expect(await until(() => hang.received.length === 2, 10_000)).toBe(true);
    const waitFor = async (id: string, cond: (d: any) => boolean) => {
      for (let i = 0; i < 200; i++) {
        const [d] = await deliveries(id);
        if (d && cond(d)) return d;
        await new Promise((res) => setTimeout(res, 25));
      }
      throw new Error('not reached');
    };
    const d1 = await waitFor(e1.id, (d) => d.status === 'delivered');
    expect(d1.attempts[0]).toMatchObject({ statusCode: null, error: expect.stringMatching(/timed out after 400 ms/) });
    const d2 = await waitFor(e2.id, (d) => d.attempts.length >= 2);
    expect(d2.attempts[0]).toMatchObject({ statusCode: null, error: expect.stringMatching(/ECONNREFUSED/) });
    // The receiver comes up on that port: a later attempt gets through.
    const late = await startReceiver(undefined, port);
    receivers.push(late);
    await t.request('POST', `/v1/webhooks/${e2.id}/deliveries/${d2.id}/retry`, { headers: auth(admin) });
    expect(await until(() => late.received.length >= 1, 10_000)).toBe(true);
    expect(late.received[0]!.id).toBe(d2.id);
  });

  it('does not follow redirects: a 3xx is a failure', async () => {
    await workspace();
    const target = await receiver();
    const r = await receiver((_r, res) => void res.writeHead(302, { location: target.url }).end());
    const e = await endpoint(r.url, ['member.created']);
    await putMember('dan');
    expect(await until(() => r.received.length === FAST.length, 10_000)).toBe(true);
    let d: any;
    for (let i = 0; i < 200 && d?.status !== 'failed'; i++) [d] = await deliveries(e.id);
    expect(d.status).toBe('failed');
    expect(d.attempts).toHaveLength(FAST.length);
    expect(d.attempts[0]).toMatchObject({ statusCode: 302, error: 'redirect (302) not followed' });
    expect(target.received).toHaveLength(0);
  });

  it('410 Gone disables the endpoint and says why; enabling it again delivers what waited', async () => {
    await workspace();
    let gone = true;
    const r = await receiver((_r, res) => void res.writeHead(gone ? 410 : 200).end());
    const e = await endpoint(r.url, ['member.created']);
    await putMember('eve');
    expect(await until(() => r.received.length === 1, 10_000)).toBe(true);
    let ep: any;
    for (let i = 0; i < 200 && ep?.enabled !== false; i++) ep = (await t.request('GET', `/v1/webhooks/${e.id}`, { headers: auth(admin) })).body;
    expect(ep).toMatchObject({ enabled: false, disabledReason: 'the endpoint answered 410 Gone' });
    await putMember('fay');
    gone = false;
    await t.request('PATCH', `/v1/webhooks/${e.id}`, { headers: auth(admin), body: { enabled: true } });
    expect(await until(() => r.received.length === 2, 10_000)).toBe(true);
    expect((r.verified(e.secret) as any[])[1].data).toEqual({ memberId: 'fay' });
    // eve's message failed with the 410; replay brings it back.
    const res = await t.request('POST', `/v1/webhooks/${e.id}/replay`, { headers: auth(admin), body: { since: 0, until: Date.now() + 60_000 } });
    expect(res.status).toBe(202);
    expect(res.body.replayed).toBe(2);
    expect(await until(() => r.received.length === 4, 10_000)).toBe(true);
    expect(new Set(r.received.map((x) => x.id)).size).toBe(2);
  });

  it('honours Retry-After on 429', async () => {
    await workspace();
    const r = await receiver((_r, res) => void res.writeHead(429, { 'retry-after': '3600' }).end());
    const e = await endpoint(r.url, ['member.created']);
    await putMember('gus');
    expect(await until(() => r.received.length === 1, 10_000)).toBe(true);
    let d: any;
    for (let i = 0; i < 200 && !(d?.attempts.length === 1); i++) [d] = await deliveries(e.id);
    expect(d.status).toBe('pending');
    expect(d.nextAttemptAt - d.attempts[0].attemptedAt).toBeGreaterThanOrEqual(3_590_000);
  });

  it('after rotate-secret both secrets sign for 24 hours: two signatures, each verifies', async () => {
    await workspace();
    const r = await receiver();
    const e = await endpoint(r.url, ['member.created']);
    const rot = await t.request('POST', `/v1/webhooks/${e.id}/rotate-secret`, { headers: auth(admin) });
    expect(rot.status, rot.text).toBe(200);
    expect(rot.body.secret).not.toBe(e.secret);
    expect(rot.body.previousSecretExpiresAt - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    await t.request('POST', `/v1/webhooks/${e.id}/test`, { headers: auth(admin) });
    expect(await until(() => r.received.length === 1, 10_000)).toBe(true);
    expect(r.received[0]!.signature.split(' ')).toHaveLength(2);
    expect(r.verified(e.secret)).toHaveLength(1);
    expect(r.verified(rot.body.secret)).toHaveLength(1);
  });

  it('fails for 5 days, then the endpoint is disabled with the reason recorded; nothing is lost', async () => {
    const id = await workspace();
    let up = false;
    const r = await receiver((_r, res) => void res.writeHead(up ? 200 : 500).end());
    const e = await endpoint(r.url, ['member.created']);
    // A second worker on the same database whose clock we move: the app's own worker is kept
    // off this endpoint's messages by the leases, whichever takes them.
    let offset = 0;
    const hooks = openWebhooks(t.store, {
      config: { webhookAllowPrivateNetworks: true, webhookTimeoutMs: 1000, webhookRetryScheduleMs: [0, 20, 20, 20, 20, 20, 20] },
      deliver: true,
      clock: { now: () => Date.now() + offset },
    });
    try {
      // Written through this instance's store: its member events make the one message at once
      // and wake its worker.
      await hooks.store.members.upsert(id, [{ id: 'hal' }], 'replace', Date.now());
      const wstore = webhookStoreFor(t.store);
      expect(await until(() => r.received.length >= 1, 10_000)).toBe(true);
      let ep = (await wstore.getEndpoint(id, e.id))!;
      for (let i = 0; i < 200 && ep.failingSince === null; i++) ep = (await wstore.getEndpoint(id, e.id))!;
      expect(ep.failingSince).not.toBeNull();
      offset = 5 * 86_400_000 + 60_000;
      for (let i = 0; i < 400 && ep.enabled; i++) {
        await new Promise((res) => setTimeout(res, 10));
        ep = (await wstore.getEndpoint(id, e.id))!;
      }
      expect(ep.enabled).toBe(false);
      expect(ep.disabledReason).toMatch(/every attempt failed for 5 days/);
      up = true;
      const res = await t.request('POST', `/v1/webhooks/${e.id}/replay`, { headers: auth(admin), body: { since: 0, until: Date.now() + 10 * 86_400_000 } });
      expect(res.body.replayed).toBe(1);
      await t.request('PATCH', `/v1/webhooks/${e.id}`, { headers: auth(admin), body: { enabled: true } });
      let d: any;
      for (let i = 0; i < 200 && d?.status !== 'delivered'; i++) [d] = await deliveries(e.id);
      expect(d.status).toBe('delivered');
    } finally {
      await hooks.close();
    }
  });

  it('a slow endpoint holds at most its own slots; another endpoint is delivered meanwhile', async () => {
    await workspace();
    const held: (() => void)[] = [];
    const slow = await receiver((_r, res) => void held.push(() => res.writeHead(200).end()));
    const fast = await receiver();
    const es = await endpoint(slow.url, ['member.created']);
    const ef = await endpoint(fast.url, ['member.created']);
    for (let i = 0; i < 20; i++) await putMember(`m${i}`);
    expect(await until(() => fast.received.length === 20, 10_000)).toBe(true);
    expect(slow.maxOpen).toBeLessThanOrEqual(32);
    expect(slow.received.length).toBeLessThanOrEqual(32 * FAST.length);
    held.splice(0).forEach((f) => f());
    void es;
    void ef;
  });

  it('refuses private addresses unless allowed, after DNS too', async () => {
    const strict = await startTestApp(backend, { databaseUrl: t.databaseUrl, webhooks: { deliver: true, allowPrivateNetworks: false, scheduleMs: [0], timeoutMs: 1000 } });
    try {
      const id = await workspace();
      for (const url of ['http://127.0.0.1/x', 'http://10.1.2.3/x', 'http://[::1]/x', 'http://169.254.169.254/latest', 'http://localhost:8080/', 'http://0.0.0.0/']) {
        const res = await strict.request('POST', '/v1/webhooks', { headers: auth(admin), body: { url, events: ['*'] } });
        expectNativeError(res, 400, /loopback, private/);
      }
      // A name that resolves to loopback passes creation (names resolve at delivery) and is refused there.
      const r = await receiver();
      const wstore = webhookStoreFor(strict.store);
      const now = Date.now();
      const ep = { id: 'ep_dns', workspaceId: id, url: `http://localhost:${r.port}/x`, description: null, events: ['*'], enabled: true, secret: 'whsec_' + Buffer.alloc(24, 7).toString('base64'), previousSecret: null, previousSecretUntil: null, failingSince: null, disabledAt: null, disabledReason: null, createdAt: now, updatedAt: now };
      await wstore.createEndpoint(ep);
      await wstore.createEndpoint({ ...ep, id: 'ep_ip', url: `http://127.0.0.1:${r.port}/x` });
      // Only the strict app's worker may take these: the permissive one would deliver them.
      await t.app.close().catch(() => {});
      await strict.request('POST', '/v1/webhooks/ep_dns/test', { headers: auth(admin) });
      await strict.request('POST', '/v1/webhooks/ep_ip/test', { headers: auth(admin) });
      const failed = async (epId: string) => {
        for (let i = 0; i < 200; i++) {
          const [d] = (await strict.request('GET', `/v1/webhooks/${epId}/deliveries`, { headers: auth(admin) })).body.deliveries;
          if (d?.status === 'failed') return d;
          await new Promise((res) => setTimeout(res, 25));
        }
        throw new Error(`not failed: ${JSON.stringify((await strict.request('GET', `/v1/webhooks/${epId}/deliveries`, { headers: auth(admin) })).body)}`);
      };
      for (const epId of ['ep_dns', 'ep_ip']) {
        const d = await failed(epId);
        expect(d.attempts[0]).toMatchObject({ statusCode: null, error: expect.stringMatching(/refused to connect to (127\.0\.0\.1|::1)/) });
      }
      expect(r.received).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });
});

describe('webhook configuration', () => {
  it('refuses private networks by default, reads the switch, the timeout and a test schedule, and names a bad value', async () => {
    const { loadConfig } = await import('../src/config.js');
    expect(loadConfig({})).toMatchObject({ webhookAllowPrivateNetworks: false, webhookTimeoutMs: 15_000, webhookRetryScheduleMs: null });
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_TIMEOUT_MS: '500', WEBHOOK_RETRY_SCHEDULE_MS: '0, 10,20' })).toMatchObject({
      webhookAllowPrivateNetworks: true,
      webhookTimeoutMs: 500,
      webhookRetryScheduleMs: [0, 10, 20],
    });
    expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'yes' })).toThrow(/WEBHOOK_ALLOW_PRIVATE_NETWORKS must be true or false/);
    expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE_MS: '0,-5' })).toThrow(/WEBHOOK_RETRY_SCHEDULE_MS must be/);
    expect(() => loadConfig({ WEBHOOK_TIMEOUT_MS: '10' })).toThrow(/WEBHOOK_TIMEOUT_MS must be an integer/);
  });
});
