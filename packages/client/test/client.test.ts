/**
 * The client against the real server (the app on a real SQLite store, over real HTTP): typed
 * calls on the native API and the three compatible APIs, the key placed where each expects it;
 * the webhook verifier against deliveries signed by the Standard Webhooks reference library;
 * the live-feed reader against a real HTTP server sending text/event-stream.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { createClient, openLiveFeed, readEvents, verifyWebhook, WebhookVerificationError, type FeedEvent } from '../src/index.js';
import { sqliteBackend } from '../../../test/support/backends.js';
import { startTestApp, type TestApp } from '../../../test/support/test-app.js';

describe('the typed client against the real server', () => {
  let t: TestApp;
  let admin: string;
  let member: string;

  beforeAll(async () => {
    t = await startTestApp(sqliteBackend);
    await t.members('acme', [
      { id: 'ann', name: 'Ann', plan: 'premium' },
      { id: 'bob', name: 'Bob', company: 'Acme' },
    ]);
    admin = await t.adminKey('acme');
    member = await t.memberKey('acme', 'ann');
  });
  afterAll(async () => t?.close());

  it('records a visit and reads it back on the native API', async () => {
    const pv = createClient({ baseUrl: t.url, apiKey: admin });
    const recorded = await pv.POST('/v1/visits', { body: { profileId: 'ann', viewerId: 'bob', id: 'c-1', viewedAt: t.clock.now() - 60_000 } });
    expect(recorded.response.status).toBe(201);
    expect(recorded.data?.status).toBe('recorded');
    const page = await pv.GET('/v1/members/{memberId}/visitors', { params: { path: { memberId: 'ann' }, query: { limit: 10 } } });
    expect(page.error).toBeUndefined();
    expect(page.data?.total).toBe(1);
    expect(page.data?.viewers[0]?.viewer?.name).toBe('Bob');
  });

  it('gives the error body, typed, on a refusal', async () => {
    const pv = createClient({ baseUrl: t.url, apiKey: admin });
    const missing = await pv.GET('/v1/members/{memberId}', { params: { path: { memberId: 'nobody' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.data).toBeUndefined();
    expect(JSON.stringify(missing.error)).toContain('not_found');
  });

  it('speaks Networked and LinkupAPI with x-api-key, ConnectSafely with a Bearer key', async () => {
    const pv = createClient({ baseUrl: t.url, apiKey: member });
    const networked = await pv.GET('/api/v1/profile/visits', { params: { query: { start: 0, count: 10 } } });
    expect(networked.response.status).toBe(200);
    expect(networked.data?.data.content).toHaveLength(1);
    const linkup = await pv.POST('/v2/profiles', { body: { account_id: 'ann', action: 'get_viewers', params: { count: 10, offset: 0 } } });
    expect(linkup.response.status).toBe(200);
    const connectSafely = await pv.POST('/linkedin/profile/visitors', { body: {} });
    expect(connectSafely.response.status).toBe(200);
    expect(JSON.stringify(connectSafely.data)).toContain('Bob');
  });
});

describe('verifyWebhook', () => {
  const secret = `whsec_${Buffer.from('a secret of thirty-two bytes!!!!').toString('base64')}`;
  const signer = new Webhook(secret);
  const body = JSON.stringify({ type: 'visit.recorded', data: { profileId: 'ann', viewerId: 'bob' } });
  const signed = (id: string, at: Date, payload = body) => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signer.sign(id, at, payload),
  });

  it('accepts a delivery signed with the secret and returns its body', () => {
    const headers = signed('msg_1', new Date());
    expect(verifyWebhook(secret, body, headers)).toEqual(JSON.parse(body));
    expect(verifyWebhook(secret, Buffer.from(body), new Headers(headers))).toEqual(JSON.parse(body));
  });

  it('refuses a changed body, another secret, a missing header and an old timestamp', () => {
    const headers = signed('msg_2', new Date());
    expect(() => verifyWebhook(secret, body.replace('bob', 'eve'), headers)).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook(`whsec_${Buffer.from('another secret, also 32 bytes!!!').toString('base64')}`, body, headers)).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook(secret, body, { ...headers, 'webhook-signature': undefined })).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook(secret, body, signed('msg_3', new Date(Date.now() - 10 * 60_000)))).toThrow(WebhookVerificationError);
  });
});

describe('the live-feed reader', () => {
  let server: Server;
  let url: string;
  let seen: { key?: string; lastEventId?: string } = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen = { key: req.headers['x-api-key'] as string, lastEventId: req.headers['last-event-id'] as string | undefined };
      if (req.headers['x-api-key'] !== 'k') {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"unauthorized"}}');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Split across writes, with CRLF and LF endings, a comment, a multi-line data and a retry.
      res.write(': keep-alive\n\nid: 1\nevent: visit\ndata: {"profileId":"ann",');
      res.write('"viewerId":"bob"}\r\n\r\nid: 2\ndata: line one\ndata: line two\nretry: 3000\n\n');
      res.end('data: no id, no type\n\ndata: unfinished event is dropped');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('yields each event with its type, data and the last id, sending the key and Last-Event-ID', async () => {
    const events: FeedEvent[] = [];
    for await (const e of openLiveFeed({ url, apiKey: 'k', lastEventId: '0' })) events.push(e);
    expect(seen).toEqual({ key: 'k', lastEventId: '0' });
    expect(events).toEqual([
      { event: 'visit', data: '{"profileId":"ann","viewerId":"bob"}', lastEventId: '1' },
      { event: 'message', data: 'line one\nline two', lastEventId: '2', retry: 3000 },
      { event: 'message', data: 'no id, no type', lastEventId: '2' },
    ]);
  });

  it('throws with the status and body on a refusal', async () => {
    await expect(async () => {
      for await (const _ of openLiveFeed({ url, apiKey: 'wrong' })) void _;
    }).rejects.toThrow(/answered 401: .*unauthorized/);
  });

  it('parses a stream of bytes split anywhere, even inside a character', async () => {
    const text = 'data: caf\u00e9\n\n';
    const bytes = new TextEncoder().encode(text);
    async function* chunks() {
      for (const b of bytes) yield new Uint8Array([b]);
    }
    const events: FeedEvent[] = [];
    for await (const e of readEvents(chunks())) events.push(e);
    expect(events).toEqual([{ event: 'message', data: 'caf\u00e9', lastEventId: '' }]);
  });
});
