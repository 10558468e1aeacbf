/**
 * /metrics shows where the projections stand (position, lag in entries and seconds, added up
 * over workspaces) and the webhook queue (depth, messages retrying, endpoints failing and
 * disabled, attempts by result), on each backend, against a real receiver answering 500; the
 * member events (webhooks.members) behind the member-change log, then caught up. With
 * WORKERS=2 behind METRICS_PORT, a figure read from the shared database is not counted twice.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProjectionRunner } from '../src/core/index.js';
import { MemberEvents } from '../src/webhooks/member-events.js';
import { webhookStoreFor } from '../src/webhooks/index.js';
import { BACKENDS, dropPostgresDatabase, sqliteBackend } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { startReceiver, type Receiver } from './support/receiver.js';
import { auth } from './support/assertions.js';
import { freePort, getOnOwnConnection as get, killServers, runCli, secretFrom, startServerProcess } from './support/processes.js';

/** The value of one sample line (`name{labels} value`), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Scrapes until `ready` holds of the text (state reached in the background), then returns it. */
async function scrapeUntil(scrape: () => Promise<string>, ready: (text: string) => boolean, tries = 200): Promise<string> {
  let text = await scrape();
  for (let i = 0; i < tries && !ready(text); i++) {
    await new Promise((r) => setTimeout(r, 50));
    text = await scrape();
  }
  return text;
}

const PROJECTIONS = ['summary', 'insights', 'webhooks'];

describe.each(BACKENDS)('projection and webhook figures on $name', (backend) => {
  let t: TestApp;
  let r: Receiver;
  let runner: ProjectionRunner;
  afterAll(async () => {
    await runner?.stop();
    await r?.close();
    await t?.close();
  });

  it('shows lag before the runner applies the log, none after, and a failing endpoint in the queue', { timeout: 60_000 }, async () => {
    r = await startReceiver((_req, res) => void res.writeHead(500, { 'content-type': 'text/plain' }).end('down'));
    // First attempt at once, the retry an hour later: the failed message stays in the queue.
    t = await startTestApp(backend, { webhooks: { deliver: true, allowPrivateNetworks: true, scheduleMs: [0, 3_600_000], timeoutMs: 5_000 } });
    runner = new ProjectionRunner(t.store.visitLog, t.store.projections);
    const admin = await t.adminKey('acme');
    const scrape = async () => (await t.request('GET', '/metrics', { headers: auth(admin) })).text;
    await t.members('acme', [{ id: 'ann' }, { id: 'bob' }, { id: 'cy' }]);
    expect((await t.request('POST', '/v1/webhooks', { headers: auth(admin), body: { url: r.url, events: ['profile.visited'] } })).status).toBe(201);
    const off = (await t.request('POST', '/v1/webhooks', { headers: auth(admin), body: { url: `${r.url}/off`, events: ['profile.visited'] } })).body;
    expect((await t.request('PATCH', `/v1/webhooks/${off.id}`, { headers: auth(admin), body: { enabled: false } })).status).toBe(200);

    let text = await scrape();
    for (const projection of PROJECTIONS) {
      expect(sample(text, `pv_projection_position{projection="${projection}"}`)).toBe(0);
      expect(sample(text, `pv_projection_lag_entries{projection="${projection}"}`)).toBe(0);
      expect(sample(text, `pv_projection_lag_seconds{projection="${projection}"}`)).toBe(0);
      expect(sample(text, `pv_projection_stopped{projection="${projection}"}`)).toBe(0);
    }
    expect(sample(text, 'pv_webhook_queue_depth')).toBe(0);
    expect(sample(text, 'pv_webhook_endpoints_disabled')).toBe(1);
    expect(sample(text, 'pv_webhook_endpoints_failing')).toBe(0);

    for (const viewerId of ['bob', 'cy']) {
      expect((await t.request('POST', '/v1/visits', { headers: auth(admin), body: { profileId: 'ann', viewerId } })).body.status).toBe('recorded');
    }
    const [oldest] = await t.store.visitLog.read((await t.workspace('acme')).id, 0, 1);
    const before = Date.now();
    text = await scrape();
    const after = Date.now();
    expect(sample(text, 'pv_visit_log_head')).toBe(2);
    // Nothing has run the runner's projections yet: two entries behind, as old as the first one.
    for (const projection of ['insights', 'webhooks']) {
      expect(sample(text, `pv_projection_position{projection="${projection}"}`)).toBe(0);
      expect(sample(text, `pv_projection_lag_entries{projection="${projection}"}`)).toBe(2);
      const seconds = sample(text, `pv_projection_lag_seconds{projection="${projection}"}`)!;
      expect(seconds).toBeGreaterThanOrEqual((before - oldest!.recordedAt) / 1000);
      expect(seconds).toBeLessThanOrEqual((after - oldest!.recordedAt) / 1000);
    }

    await runner.runOnce();
    // The summary is the store's (SQLite's fold thread catches up on its own).
    text = await scrapeUntil(scrape, (s) => sample(s, 'pv_webhook_attempts_total{result="pending"}') === 2 && sample(s, 'pv_projection_position{projection="summary"}') === 2);
    for (const projection of PROJECTIONS) {
      expect(sample(text, `pv_projection_position{projection="${projection}"}`)).toBe(2);
      expect(sample(text, `pv_projection_lag_entries{projection="${projection}"}`)).toBe(0);
      expect(sample(text, `pv_projection_lag_seconds{projection="${projection}"}`)).toBe(0);
    }
    // /healthz?detail=1 reads the same positions for the workspace (the member events' are a
    // projection of another log, the member-change log, tested below).
    const health = (await t.request('GET', '/healthz?detail=1', { headers: auth(admin) })).body;
    const visitLogOnes = health.projections.filter((p: { name: string }) => PROJECTIONS.includes(p.name));
    expect(visitLogOnes.map((p: { name: string; position: number }) => [p.name, p.position]).sort()).toEqual(PROJECTIONS.map((p) => [p, 2]).sort());

    // Both messages were attempted once, got a 500, and wait for their retry.
    expect(r.received).toHaveLength(2);
    expect(sample(text, 'pv_webhook_attempts_total{result="pending"}')).toBe(2);
    expect(sample(text, 'pv_webhook_attempts_total{result="delivered"}')).toBeUndefined();
    // Two more wait, held for the disabled endpoint.
    expect(sample(text, 'pv_webhook_queue_depth')).toBe(4);
    expect(sample(text, 'pv_webhook_queue_retrying')).toBe(2);
    expect(sample(text, 'pv_webhook_queue_held')).toBe(2);
    expect(sample(text, 'pv_webhook_endpoints_failing')).toBe(1);
    expect(sample(text, 'pv_webhook_endpoints_disabled')).toBe(1);
  });
});

describe.each(BACKENDS)('member events figures on $name', (backend) => {
  it('shows webhooks.members behind the member-change log, over every workspace, until the member events advance', { timeout: 60_000 }, async () => {
    // The app's member events never poll here: members written straight to the store (as the
    // command line does) stay behind until the test advances them.
    const t = await startTestApp(backend, { webhooks: { memberEventsPollMs: null } });
    try {
      const admin = await t.adminKey('acme');
      await t.workspace('other');
      const scrape = async () => (await t.request('GET', '/metrics', { headers: auth(admin) })).text;
      const figures = (text: string) => ({
        position: sample(text, 'pv_projection_position{projection="webhooks.members"}'),
        entries: sample(text, 'pv_projection_lag_entries{projection="webhooks.members"}'),
        seconds: sample(text, 'pv_projection_lag_seconds{projection="webhooks.members"}'),
      });
      expect(figures(await scrape())).toEqual({ position: 0, entries: 0, seconds: 0 });

      // Two members of acme changed a minute ago, one of the other workspace two minutes ago (by
      // the time of the change the store records).
      t.clock.t = Date.now() - 60_000;
      await t.members('acme', [{ id: 'ann' }, { id: 'bob' }]);
      t.clock.t = Date.now() - 120_000;
      await t.members('other', [{ id: 'cy' }]);
      let text = await scrape();
      // Entries added up over workspaces, the age the oldest's in any of them.
      expect(figures(text)).toEqual({ position: 0, entries: 3, seconds: expect.any(Number) });
      expect(figures(text).seconds).toBeGreaterThanOrEqual(120);
      // The visit log's figures are not the member-change log's; its runner never stops this one.
      expect(sample(text, 'pv_visit_log_head')).toBe(0);
      expect(sample(text, 'pv_projection_stopped{projection="webhooks.members"}')).toBeUndefined();

      // Another process's member events (the checkpoint is shared) turn the changes into messages.
      await new MemberEvents({ store: webhookStoreFor(t.store), changes: t.store.memberChanges, clock: t.clock, onWritten: () => {} }).runOnce();
      text = await scrape();
      expect(figures(text)).toEqual({ position: 3, entries: 0, seconds: 0 });
    } finally {
      await t.close();
      if (backend.name === 'postgres') await dropPostgresDatabase(t.databaseUrl);
      else rmSync(dirname(t.databaseUrl), { recursive: true, force: true });
    }
  });
});

describe('figures of the shared database with WORKERS=2 on METRICS_PORT', () => {
  afterAll(() => killServers());

  it('shows each once, not once per worker', { timeout: 120_000 }, async () => {
    const env = { DATABASE_URL: await sqliteBackend.freshUrl(), LOG_LEVEL: 'warn' };
    const key = secretFrom((await runCli(['keys', 'create', '--workspace', 'acme'], env)).stdout);
    const metricsPort = await freePort();
    const server = await startServerProcess({ ...env, PORT: String(await freePort()), WORKERS: '2', METRICS_PORT: String(metricsPort), WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    const h = { 'x-api-key': key, 'content-type': 'application/json' };
    for (const id of ['ann', 'bob', 'cy', 'dee']) {
      expect((await fetch(`${server.url}/v1/members/${id}`, { method: 'PUT', headers: h, body: JSON.stringify({ name: id }) })).status).toBeLessThan(300);
    }
    // Disabled before any visit: its messages are held, never attempted.
    const created = await fetch(`${server.url}/v1/webhooks`, { method: 'POST', headers: h, body: JSON.stringify({ url: 'http://127.0.0.1:9/pv', events: ['profile.visited'] }) });
    expect(created.status).toBe(201);
    const ep = (await created.json()) as { id: string };
    expect((await fetch(`${server.url}/v1/webhooks/${ep.id}`, { method: 'PATCH', headers: h, body: JSON.stringify({ enabled: false }) })).status).toBe(200);
    for (const viewerId of ['bob', 'cy', 'dee']) {
      const res = await fetch(`${server.url}/v1/visits`, { method: 'POST', headers: h, body: JSON.stringify({ profileId: 'ann', viewerId }) });
      expect(res.status).toBe(201);
    }
    // Every worker's runner catches up; each reads the same database.
    const text = await scrapeUntil(
      async () => (await get(`http://127.0.0.1:${metricsPort}/metrics`)).body,
      (s) => PROJECTIONS.every((p) => sample(s, `pv_projection_position{projection="${p}"}`) === 3) && sample(s, 'pv_projection_position{projection="webhooks.members"}') === 4,
    );
    expect(sample(text, 'pv_visit_log_head')).toBe(3);
    for (const projection of PROJECTIONS) {
      expect(sample(text, `pv_projection_position{projection="${projection}"}`)).toBe(3);
      expect(sample(text, `pv_projection_lag_entries{projection="${projection}"}`)).toBe(0);
    }
    // The four members created, in the member-change log: once, not once per worker.
    expect(sample(text, 'pv_projection_position{projection="webhooks.members"}')).toBe(4);
    expect(sample(text, 'pv_projection_lag_entries{projection="webhooks.members"}')).toBe(0);
    expect(sample(text, 'pv_webhook_endpoints_disabled')).toBe(1);
    // One message per visit, held for the disabled endpoint: counted once, not once per worker.
    expect(sample(text, 'pv_webhook_queue_depth')).toBe(3);
    expect(sample(text, 'pv_webhook_queue_held')).toBe(3);
    expect(sample(text, 'pv_webhook_queue_retrying')).toBe(0);
  });
});
