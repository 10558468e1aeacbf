/**
 * The native API's webhook actions in the audit log (docs/privacy-controls.md, "Audit log"):
 * creating, changing, enabling and disabling, rotating the secret, a test send, retry, replay and
 * deletion each show at GET /v1/audit with the acting key's id and the endpoint as target, and
 * no entry holds a signing secret or the receiver URL's path or query. A refused action is not
 * recorded.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/core/index.js';
import { BACKENDS, dropPostgresDatabase } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { auth } from './support/assertions.js';

describe.each(BACKENDS)('webhook actions in the audit log on $name', (backend) => {
  let t: TestApp;
  let admin: { id: string; secret: string };
  const WS = 'hooked';

  beforeAll(async () => {
    // No delivery worker: messages stay pending, which is all retry and replay need here.
    t = await startTestApp(backend);
    const ws = await t.workspace(WS);
    const { key, secret } = await createApiKey({ store: t.store, clock: t.clock }, ws, { role: 'admin' });
    admin = { id: key.id, secret };
  });
  afterAll(async () => {
    if (!t) return;
    await t.close();
    if (backend.name === 'postgres') await dropPostgresDatabase(t.databaseUrl);
    else rmSync(dirname(t.databaseUrl), { recursive: true, force: true });
  });

  const call = async (method: string, path: string, body?: unknown, status?: number) => {
    const res = await t.request(method, path, { headers: auth(admin.secret), ...(body === undefined ? {} : { body }) });
    if (status === undefined) expect(res.status, `${method} ${path}: ${res.text}`).toBeLessThan(300);
    else expect(res.status, `${method} ${path}: ${res.text}`).toBe(status);
    t.clock.advance(1000);
    return res;
  };

  it('records every webhook action with its actor and endpoint, and no secret', async () => {
    const start = t.clock.now();
    const created = await call('POST', '/v1/webhooks', { url: 'https://hooks.example.com/T0KENPATH?token=QUERYSECRET', events: ['member.created', 'profile.visited'] });
    const id = created.body.id as string;
    const secrets = [created.body.secret as string];
    await call('PATCH', `/v1/webhooks/${id}`, { description: 'CRM', url: 'https://hooks.example.com/NEWPATH?token=NEWSECRET' });
    await call('PATCH', `/v1/webhooks/${id}`, { enabled: false });
    await call('PATCH', `/v1/webhooks/${id}`, { enabled: true });
    secrets.push((await call('POST', `/v1/webhooks/${id}/rotate-secret`)).body.secret);
    const messageId = (await call('POST', `/v1/webhooks/${id}/test`)).body.messageId as string;
    await call('POST', `/v1/webhooks/${id}/deliveries/${messageId}/retry`);
    // The whole history: the webhook service keeps its own clock.
    const until = Number.MAX_SAFE_INTEGER;
    await call('POST', `/v1/webhooks/${id}/replay`, { since: 0, until });
    // Refused actions change nothing and are not recorded.
    await call('PATCH', '/v1/webhooks/wh_missing', { enabled: false }, 404);
    await call('POST', `/v1/webhooks/${id}/replay`, { since: 10, until: 5 }, 400);
    await call('DELETE', `/v1/webhooks/${id}`);

    const res = await call('GET', '/v1/audit?limit=100');
    const rows = res.body.entries.map((e: any) => [e.actorKeyId, e.action, e.target, e.details]);
    expect(rows).toEqual([
      [admin.id, 'webhook.created', id, { origin: 'https://hooks.example.com', events: ['member.created', 'profile.visited'] }],
      [admin.id, 'webhook.updated', id, { fields: ['description', 'url'] }],
      [admin.id, 'webhook.updated', id, { fields: ['enabled'], enabled: false }],
      [admin.id, 'webhook.updated', id, { fields: ['enabled'], enabled: true }],
      [admin.id, 'webhook.secret_rotated', id, null],
      [admin.id, 'webhook.tested', id, { messageId }],
      [admin.id, 'webhook.retried', id, { messageId }],
      [admin.id, 'webhook.replayed', id, { since: 0, until, replayed: 1 }],
      [admin.id, 'webhook.deleted', id, null],
    ]);
    expect(res.body.entries.map((e: any) => e.at)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 10].map((i) => start + i * 1000));
    for (const s of [...secrets, admin.secret, 'T0KENPATH', 'QUERYSECRET', 'NEWPATH', 'NEWSECRET', 'whsec_']) expect(res.text).not.toContain(s);
  });
});
