/**
 * Webhooks across real server processes, on each backend: a server SIGKILLed in the middle of
 * deliveries, restarted, delivers every acknowledged visit (at least once, same webhook-id);
 * two servers on one database make exactly one attempt per message and schedule step.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, dropPostgresDatabase } from './support/backends.js';
import { until } from './support/assertions.js';
import { freePort, killServers, runCli, secretFrom, startServerProcess } from './support/processes.js';
import { startReceiver, type Receiver } from './support/receiver.js';

const T = { timeout: 120_000 };

describe.each(BACKENDS)('webhooks across processes on $name', (backend) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await killServers();
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  async function setup(schedule: string) {
    const databaseUrl = await backend.freshUrl();
    if (backend.name === 'postgres') cleanup.push(() => dropPostgresDatabase(databaseUrl));
    else cleanup.push(async () => rmSync(dirname(databaseUrl), { recursive: true, force: true }));
    const env = {
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_TIMEOUT_MS: '1000',
      WEBHOOK_RETRY_SCHEDULE_MS: schedule,
    };
    const key = await runCli(['keys', 'create', '--workspace', 'acme'], env);
    expect(key.code, key.stderr).toBe(0);
    const headers = { 'x-api-key': secretFrom(key.stdout), 'content-type': 'application/json' };
    return { env, headers };
  }

  async function call(url: string, headers: Record<string, string>, method: string, path: string, body?: unknown) {
    const res = await fetch(url + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
    return text ? JSON.parse(text) : undefined;
  }

  async function receiverFor(answer: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
    const r = await startReceiver(answer);
    cleanup.push(() => r.close());
    return r;
  }

  it('a server SIGKILLed mid-delivery and restarted delivers every acknowledged visit', T, async () => {
    const { env, headers } = await setup('0,100,100,100,100,100,100,100');
    let answering = false;
    const r = await receiverFor((_r, res) => void (answering ? res.writeHead(200).end() : undefined));
    let server = await startServerProcess({ ...env, PORT: String(await freePort()) });
    const ep = await call(server.url, headers, 'POST', '/v1/webhooks', { url: r.url, events: ['profile.visited'] });
    await call(server.url, headers, 'PUT', '/v1/members/owner', { plan: 'premium' });
    const visitIds: string[] = [];
    for (let i = 0; i < 20; i++) {
      await call(server.url, headers, 'PUT', `/v1/members/v${i}`, { name: `Viewer ${i}` });
      const v = await call(server.url, headers, 'POST', '/v1/visits', { profileId: 'owner', viewerId: `v${i}`, id: `visit-${i}`, source: 'search' });
      expect(v.status).toBe('recorded');
      visitIds.push(`visit-${i}`);
    }
    // Deliveries are under way (the receiver holds them open): kill the server now.
    expect(await until(() => r.received.length >= 1, 20_000)).toBe(true);
    server.child.kill('SIGKILL');
    await server.exited;
    answering = true;
    server = await startServerProcess({ ...env, PORT: String(await freePort()) });
    const delivered = () => new Set((r.verified(ep.secret) as any[]).filter((b, i) => r.received[i] && b.event === 'profile.visited').map((b) => b.data.visitId));
    expect(await until(() => delivered().size === 20, 60_000)).toBe(true);
    expect([...delivered()].sort()).toEqual([...visitIds].sort());
    // Redeliveries of one message keep its webhook-id: at most 20 distinct ids.
    expect(r.ids().size).toBe(20);
  });

  it('two servers on one database make exactly one attempt per message and schedule step', T, async () => {
    const steps = 4;
    const { env, headers } = await setup('0,150,150,150');
    const r = await receiverFor((_r, res) => void res.writeHead(500).end('down'));
    const a = await startServerProcess({ ...env, PORT: String(await freePort()) });
    const b = await startServerProcess({ ...env, PORT: String(await freePort()) });
    const ep = await call(a.url, headers, 'POST', '/v1/webhooks', { url: r.url, events: ['profile.visited'] });
    await call(a.url, headers, 'PUT', '/v1/members/owner', { plan: 'premium' });
    for (let i = 0; i < 10; i++) {
      const s = i % 2 === 0 ? a : b;
      await call(s.url, headers, 'PUT', `/v1/members/v${i}`, {});
      await call(s.url, headers, 'POST', '/v1/visits', { profileId: 'owner', viewerId: `v${i}`, source: 'search' });
    }
    const failedAll = async () => {
      const d = await call(b.url, headers, 'GET', `/v1/webhooks/${ep.id}/deliveries?limit=100`);
      return d.deliveries.length === 10 && d.deliveries.every((x: any) => x.status === 'failed') ? d.deliveries : undefined;
    };
    let deliveries: any[] | undefined;
    for (let i = 0; i < 600 && !deliveries; i++) {
      deliveries = await failedAll();
      if (!deliveries) await new Promise((res) => setTimeout(res, 50));
    }
    expect(deliveries).toBeDefined();
    for (const d of deliveries!) expect(d.attempts.map((x: any) => x.n)).toEqual([1, 2, 3, 4]);
    const perId = new Map<string, number>();
    for (const x of r.received) perId.set(x.id, (perId.get(x.id) ?? 0) + 1);
    expect(perId.size).toBe(10);
    expect([...perId.values()].every((n) => n === steps)).toBe(true);
    expect(r.received).toHaveLength(10 * steps);
  });
});
