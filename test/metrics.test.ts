/**
 * GET /metrics in Prometheus text format: behind an admin key on the API port, or on its own
 * METRICS_PORT without a key (then summed over WORKERS). Request counts per route pattern and
 * status, visits acknowledged, the store's pool/cache figures, and a gauge another feature adds.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BACKENDS, sqliteBackend } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { freePort, getOnOwnConnection as get, killServers, runCli, secretFrom, startServerProcess } from './support/processes.js';

/** The value of one sample line (`name{labels} value`), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}


describe.each(BACKENDS)('GET /metrics on the API port on $name', (backend) => {
  let t: TestApp;
  afterAll(async () => t?.close());

  it('needs an admin key: 401 without one, 403 with a member key, in the native error shape', async () => {
    t = await startTestApp(backend);
    await t.members('acme', [{ id: 'ann', name: 'Ann' }, { id: 'bob', name: 'Bob' }]);
    const none = await t.request('GET', '/metrics');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    const member = await t.request('GET', '/metrics', { headers: { 'x-api-key': await t.memberKey('acme', 'ann') } });
    expect(member.status).toBe(403);
  });

  it('counts requests by route pattern and status, visits acknowledged, and shows the store figures', async () => {
    const admin = await t.adminKey('acme');
    const h = { 'x-api-key': admin };
    expect((await t.request('GET', '/v1/members/ann', { headers: h })).status).toBe(200);
    expect((await t.request('GET', '/v1/members/bob', { headers: h })).status).toBe(200);
    expect((await t.request('GET', '/v1/members/nobody', { headers: h })).status).toBe(404);
    expect((await t.request('POST', '/v1/visits', { headers: h, body: { profileId: 'ann', viewerId: 'bob', id: 'v1' } })).status).toBe(201);
    expect((await t.request('POST', '/v1/visits', { headers: h, body: { profileId: 'ann', viewerId: 'bob', id: 'v1' } })).status).toBe(200);
    t.app.metrics.addGauge({ name: 'pv_test_queue_depth', help: 'a figure another feature publishes', collect: () => 7 });

    const res = await t.request('GET', '/metrics', { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = res.text;
    expect(sample(text, 'pv_http_requests_total{method="GET",route="/v1/members/:memberId",status="200"}')).toBe(2);
    expect(sample(text, 'pv_http_requests_total{method="GET",route="/v1/members/:memberId",status="404"}')).toBe(1);
    expect(sample(text, 'pv_http_requests_total{method="GET",route="/metrics",status="401"}')).toBe(1);
    expect(sample(text, 'pv_http_request_duration_seconds_count{method="POST",route="/v1/visits",status="201"}')).toBe(1);
    expect(sample(text, 'pv_visits_acknowledged_total{status="recorded"}')).toBe(1);
    expect(sample(text, 'pv_visits_acknowledged_total{status="replayed"}')).toBe(1);
    expect(sample(text, 'pv_test_queue_depth')).toBe(7);
    expect(sample(text, 'pv_rate_limit_store_errors_total')).toBe(0);
    if (backend.name === 'sqlite') expect(sample(text, 'pv_store_sqlite_read_cache_entries')).toBeGreaterThanOrEqual(0);
    else expect(sample(text, 'pv_store_pg_pool_connections')).toBeGreaterThan(0);
    expect(text).toContain('pv_process_resident_memory_bytes');
    // Raw ids never become series.
    expect(text).not.toContain('/v1/members/ann');
  });
});

describe('METRICS_PORT', () => {
  afterAll(() => killServers());

  it('serves /metrics on its own port in a single-process server', { timeout: 120_000 }, async () => {
    const env = { DATABASE_URL: await sqliteBackend.freshUrl(), LOG_LEVEL: 'warn' };
    const metricsPort = await freePort();
    const server = await startServerProcess({ ...env, PORT: String(await freePort()), METRICS_PORT: String(metricsPort) });
    expect((await get(`${server.url}/v1/workspace`)).status).toBe(401);
    const res = await get(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(sample(res.body, 'pv_http_requests_total{method="GET",route="/v1/workspace",status="401"}')).toBe(1);
    expect((await get(`http://127.0.0.1:${metricsPort}/other`)).status).toBe(404);
  });

  it('serves /metrics there without a key, summed over the workers; the API port has none', { timeout: 120_000 }, async () => {
    const env = { DATABASE_URL: await sqliteBackend.freshUrl(), LOG_LEVEL: 'warn' };
    const key = secretFrom((await runCli(['keys', 'create', '--workspace', 'acme'], env)).stdout);
    const metricsPort = await freePort();
    const server = await startServerProcess({ ...env, PORT: String(await freePort()), WORKERS: '2', METRICS_PORT: String(metricsPort) });
    for (let i = 0; i < 8; i++) expect((await get(`${server.url}/v1/workspace`, { 'x-api-key': key })).status).toBe(200);
    expect((await get(`${server.url}/metrics`, { 'x-api-key': key })).status).toBe(404);
    const res = await get(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(sample(res.body, 'pv_http_requests_total{method="GET",route="/v1/workspace",status="200"}')).toBe(8);
  });
});
