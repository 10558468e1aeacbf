/**
 * The live feed over real HTTP (Server-Sent Events), on each backend: each counted visit as a
 * `profile.visited` event whose id is its log position, rendered like the webhook; resuming
 * with Last-Event-ID neither skips nor repeats; a member sees only their own visitors; heartbeats;
 * a client that does not keep up is dropped instead of buffered.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, dropPostgresDatabase } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { auth, expectNativeError, until } from './support/assertions.js';
import { LiveFeed } from '../src/webhooks/index.js';

interface SseEvent {
  id?: string;
  event?: string;
  data?: any;
}

/** An open event stream: parsed events as they come, the raw text, and a way to hang up. */
async function openStream(url: string, headers: Record<string, string>) {
  const ctl = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ctl.signal });
  const events: SseEvent[] = [];
  let raw = '';
  let ended = false;
  if (res.ok && res.body) {
    void (async () => {
      const decoder = new TextDecoder();
      let buf = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          const text = decoder.decode(chunk, { stream: true });
          raw += text;
          buf += text;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const ev: SseEvent = {};
            for (const line of block.split('\n')) {
              if (line.startsWith('id: ')) ev.id = line.slice(4);
              else if (line.startsWith('event: ')) ev.event = line.slice(7);
              else if (line.startsWith('data: ')) ev.data = JSON.parse(line.slice(6));
            }
            if (ev.id !== undefined || ev.event !== undefined) events.push(ev);
          }
        }
      } catch {
        // aborted
      }
      ended = true;
    })();
  }
  return { res, events, raw: () => raw, ended: () => ended, close: () => ctl.abort() };
}

describe.each(BACKENDS)('live feed on $name', (backend) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(backend);
    admin = await t.adminKey('feed');
    await t.members('feed', [
      { id: 'owner', plan: 'premium' },
      { id: 'other', plan: 'premium' },
      { id: 'hider', plan: 'free', visibility: 'private' },
      { id: 'shown', name: 'Shown Person' },
      { id: 'ghost', name: 'SECRET ghost', visibility: 'private' },
      ...Array.from({ length: 30 }, (_, i) => ({ id: `v${i}`, name: `Viewer ${i}` })),
    ]);
  });
  afterAll(async () => {
    await t.close();
    if (backend.name === 'postgres') await dropPostgresDatabase(t.databaseUrl);
    else rmSync(dirname(t.databaseUrl), { recursive: true, force: true });
  });

  const visit = async (profileId: string, viewerId: string, status = 201) => {
    t.clock.advance(60_000);
    const res = await t.request('POST', '/v1/visits', { headers: auth(admin), body: { profileId, viewerId, source: 'feed' } });
    expect(res.status, res.text).toBe(status);
  };
  const positions = async () => (await t.store.visitLog.read('feed', 0, 10_000)).map((e) => String(e.position));

  it('streams each counted visit, id = log position, rendered as the owner may see it', async () => {
    const s = await openStream(`${t.url}/v1/visits/stream`, auth(admin));
    expect(s.res.status).toBe(200);
    expect(s.res.headers.get('content-type')).toMatch(/text\/event-stream/);
    await visit('owner', 'shown');
    await visit('owner', 'ghost');
    await visit('owner', 'owner', 200); // self-view: not counted, not streamed
    expect(await until(() => s.events.length === 2, 10_000)).toBe(true);
    s.close();
    const log = await positions();
    expect(s.events.map((e) => e.id)).toEqual(log.slice(-2));
    expect(s.events.every((e) => e.event === 'profile.visited')).toBe(true);
    expect(s.events[0]!.data).toMatchObject({ profileId: 'owner', source: 'feed', viewCount: 1, viewer: { appearance: 'full', profile: { id: 'shown' } } });
    expect(s.events[1]!.data.viewer).toEqual({ appearance: 'private', blurred: false, label: 'Anonymous member', profile: null, traits: null });
    expect(s.raw()).not.toContain('SECRET');
    expect(s.raw()).not.toContain('ghost');
  });

  it('resumes after Last-Event-ID without gaps or repeats', async () => {
    const first = await openStream(`${t.url}/v1/visits/stream`, auth(admin));
    for (let i = 0; i < 5; i++) await visit('owner', `v${i}`);
    expect(await until(() => first.events.length === 5, 10_000)).toBe(true);
    first.close();
    const last = first.events[2]!.id!;
    // Missed while disconnected.
    for (let i = 5; i < 10; i++) await visit('owner', `v${i}`);
    const again = await openStream(`${t.url}/v1/visits/stream`, { ...auth(admin), 'last-event-id': last });
    for (let i = 10; i < 15; i++) await visit('owner', `v${i}`);
    const log = await positions();
    const expected = log.slice(log.indexOf(last) + 1);
    expect(expected).toHaveLength(12);
    expect(await until(() => again.events.length >= 12, 10_000)).toBe(true);
    again.close();
    expect(again.events.map((e) => e.id)).toEqual(expected);
  });

  it("a member's stream carries only their visitors; the member key may not read another's", async () => {
    const key = await t.memberKey('feed', 'other');
    const s = await openStream(`${t.url}/v1/members/other/visitors/stream`, auth(key));
    expect(s.res.status).toBe(200);
    await visit('owner', 'v20');
    await visit('other', 'v21');
    await visit('owner', 'v22');
    await visit('other', 'v23');
    expect(await until(() => s.events.length === 2, 10_000)).toBe(true);
    s.close();
    expect(s.events.map((e) => e.data.profileId)).toEqual(['other', 'other']);
    expect(s.events.map((e) => e.data.viewer.profile.id)).toEqual(['v21', 'v23']);
    const denied = await t.request('GET', '/v1/members/owner/visitors/stream', { headers: { ...auth(key), accept: 'text/event-stream' } });
    expectNativeError(denied, 403);
    expectNativeError(await t.request('GET', '/v1/visits/stream', { headers: { ...auth(key), accept: 'text/event-stream' } }), 403);
    expectNativeError(await t.request('GET', '/v1/members/hider/visitors/stream', { headers: { ...auth(admin), accept: 'text/event-stream' } }), 403, /private mode/);
    expectNativeError(await t.request('GET', '/v1/members/nobody/visitors/stream', { headers: { ...auth(admin), accept: 'text/event-stream' } }), 404);
    expectNativeError(await t.request('GET', '/v1/visits/stream', { headers: { ...auth(admin), accept: 'text/event-stream', 'last-event-id': 'abc' } }), 400);
  });

  it('sends heartbeats while idle', async () => {
    const hb = await startTestApp(backend, { databaseUrl: t.databaseUrl, feed: { heartbeatMs: 50 } });
    try {
      const s = await openStream(`${hb.url}/v1/visits/stream`, auth(admin));
      expect(await until(() => s.raw().includes(': heartbeat'), 10_000)).toBe(true);
      s.close();
    } finally {
      await hb.close();
    }
  });

  it('drops a connection that does not keep up instead of queueing without bound', async () => {
    const feed = new LiveFeed({ store: t.store, clock: t.clock, pollMs: 20, maxQueue: 3 });
    let dropped: string | undefined;
    const sent: number[] = [];
    // A client that takes the first event and then never finishes receiving.
    const unsubscribe = feed.open('feed', null, await feed.head('feed'), (e) => (sent.push(e.position), new Promise(() => {})), (why) => (dropped = why));
    for (let i = 0; i < 8; i++) await visit('other', `v${i}`);
    expect(await until(() => dropped !== undefined, 10_000)).toBe(true);
    expect(dropped).toMatch(/did not keep up/);
    expect(sent).toHaveLength(1);
    expect(feed.connections).toBe(0);
    unsubscribe();
    feed.stop();
  });
});
