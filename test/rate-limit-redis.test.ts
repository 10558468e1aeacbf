/**
 * Rate limits across processes: with REDIS_URL the count is shared and exact across two
 * instances on one database and across WORKERS=2; without it each process counts on its own
 * (what the README says); with Redis unreachable requests are served (fail open) and each
 * error is counted in /metrics.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKENDS, sqliteBackend } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { freePort, killServers, runCli, secretFrom, startServerProcess } from './support/processes.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A request on a connection of its own, so that WORKERS spreads them over the workers. */
function get(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false, headers: { connection: 'close', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
}

const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

describe.each(BACKENDS)('rate limits shared through Redis on $name', (backend) => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const a of apps.reverse()) await a.close();
  });

  it('two instances on one database allow a key exactly RATE_LIMIT_MAX requests in all', async () => {
    const a = await startTestApp(backend, { rateLimitMax: 10, redisUrl: REDIS_URL });
    apps.push(a);
    const b = await startTestApp(backend, { rateLimitMax: 10, redisUrl: REDIS_URL, databaseUrl: a.databaseUrl });
    apps.push(b);
    const key = await a.adminKey('acme');
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) statuses.push((await (i % 2 ? b : a).request('GET', '/v1/workspace', { headers: { 'x-api-key': key } })).status);
    expect(tally(statuses)).toEqual({ 200: 10, 429: 4 });
    const refused = await b.request('GET', '/v1/workspace', { headers: { 'x-api-key': key } });
    expect(refused.body.error.code).toBe('rate_limited');
    expect(refused.headers.get('retry-after')).not.toBeNull();
    // Another key has its own count.
    const other = await b.adminKey('acme');
    expect((await a.request('GET', '/v1/workspace', { headers: { 'x-api-key': other } })).status).toBe(200);
  });

  it('without REDIS_URL each instance counts on its own', async () => {
    const a = await startTestApp(backend, { rateLimitMax: 10 });
    apps.push(a);
    const b = await startTestApp(backend, { rateLimitMax: 10, databaseUrl: a.databaseUrl });
    apps.push(b);
    const key = await a.adminKey('acme');
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) statuses.push((await (i % 2 ? b : a).request('GET', '/v1/workspace', { headers: { 'x-api-key': key } })).status);
    expect(tally(statuses)).toEqual({ 200: 14 });
  });
});

describe('rate limits with WORKERS=2 and REDIS_URL', () => {
  afterAll(() => killServers());

  it('are exact across the workers', { timeout: 120_000 }, async () => {
    const env = { DATABASE_URL: await sqliteBackend.freshUrl(), LOG_LEVEL: 'warn' };
    const key = secretFrom((await runCli(['keys', 'create', '--workspace', 'acme'], env)).stdout);
    const server = await startServerProcess({ ...env, PORT: String(await freePort()), WORKERS: '2', REDIS_URL, RATE_LIMIT_MAX: '6' });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push(await get(`${server.url}/v1/workspace`, { 'x-api-key': key }));
    expect(tally(statuses)).toEqual({ 200: 6, 429: 4 });
  });
});

describe('rate limits with Redis unreachable', () => {
  let t: TestApp;
  afterAll(async () => t?.close());

  it('serve every request (fail open) and count each error in /metrics', async () => {
    t = await startTestApp(sqliteBackend, { rateLimitMax: 2, redisUrl: 'redis://127.0.0.1:1' });
    const key = await t.adminKey('acme');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await t.request('GET', '/v1/workspace', { headers: { 'x-api-key': key } })).status);
    expect(tally(statuses)).toEqual({ 200: 5 });
    const metrics = await t.request('GET', '/metrics', { headers: { 'x-api-key': key } });
    expect(metrics.status).toBe(200);
    const line = metrics.text.split('\n').find((l) => l.startsWith('pv_rate_limit_store_errors_total '));
    expect(Number(line?.split(' ')[1])).toBeGreaterThanOrEqual(5);
  });
});
