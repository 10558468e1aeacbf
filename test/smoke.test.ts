import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.js';
import { onFirstUse } from '../src/http/schema-compilers.js';
import { BACKENDS, openFreshStore, sqliteBackend } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe.each(BACKENDS)('service basics on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend);
  });
  afterAll(() => t.close());

  it('answers /healthz with the store in use', async () => {
    const res = await t.request('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', store: backend.name });
  });

  it('serves the OpenAPI document with every dialect route', async () => {
    const res = await t.request('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/v1/visits', '/v1/visits/batch', '/api/v1/profile/visits']));
  });

  it('records a visit and lists the viewer through the native API', async () => {
    await t.members('acme', [{ id: 'owner', name: 'Olga Owner', plan: 'premium' }, { id: 'v1', name: 'Vic Viewer', headline: 'CTO' }]);
    const admin = await t.adminKey('acme');
    const rec = await t.request('POST', '/v1/visits', { headers: { 'x-api-key': admin }, body: { profileId: 'owner', viewerId: 'v1', source: 'search' } });
    expect(rec.status).toBe(201);
    expect(rec.body.status).toBe('recorded');
    const list = await t.request('GET', '/v1/members/owner/visitors', { headers: { authorization: `Bearer ${admin}` } });
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(1);
    expect(list.body.viewers[0]).toMatchObject({ label: 'Vic Viewer', viewCount: 1, lastSource: 'search', viewer: { id: 'v1', headline: 'CTO' } });
  });
});

describe('route schemas', () => {
  it('every validator and serializer of every route compiles (the server compiles them on first use)', async () => {
    const { store } = await openFreshStore(sqliteBackend);
    const config = { bodyLimitBytes: 1024 * 1024, logLevel: 'silent' as const, authCacheMs: 0, rateLimitMax: 100, rateLimitWindowMs: 60_000 };
    const app = await buildApp({ config, store, logger: false, eagerSchemas: true });
    try {
      // Fastify compiles every route's schemas while getting ready, and rejects if one fails.
      await expect(app.ready()).resolves.toBe(app);
      const routes = app.printRoutes({ commonPrefix: false });
      for (const path of ['/v1/visits', '/v1/members/:memberId', '/v1/keys', '/api/v1/profile/visits', '/v2/profiles', '/linkedin/profile/visitors']) expect(routes).toContain(path);
    } finally {
      await app.close();
      await store.close();
    }
  });
});

describe('schemas compiled on first use', () => {
  it('compile once; a schema that does not compile fails every use with an error naming the route', () => {
    let compiles = 0;
    const ok = onFirstUse('GET /x querystring', () => ++compiles);
    expect([ok(), ok(), ok()]).toEqual([1, 1, 1]);
    let attempts = 0;
    const broken = onFirstUse('POST /v1/visits body', () => {
      attempts++;
      throw new Error('unknown type "nonsense"');
    });
    for (let i = 0; i < 2; i++) expect(broken).toThrow('POST /v1/visits body: the schema does not compile');
    expect(attempts).toBe(1);
  });
});
