/**
 * The member page's live badge (docs/pages.md) in Debian's Chromium: with the page open, a visit
 * recorded through the API makes "New visitor" appear (then "2 new visitors"), announced to
 * screen readers; the visitor was a private viewer with planted secrets, and neither the badge,
 * the page, nor the raw event stream carries any of them (events carry no data at all).
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, dropPostgresDatabase } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { postBatch, until } from './support/assertions.js';
import { launchBrowser, type TestBrowser } from './support/browser.js';
import { SECRET, mintLink, pagesWorld, type PagesWorld } from './fixtures/pages-world.js';

/** The raw text of an event stream as it arrives, read in the background until `close`. */
async function readStream(url: string) {
  const ctl = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: ctl.signal });
  let raw = '';
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) raw += decoder.decode(chunk, { stream: true });
    } catch {
      // aborted by close()
    }
  })();
  return { res, raw: () => raw, close: () => ctl.abort() };
}

describe.each(BACKENDS)('member page live badge on $name', (backend) => {
  let t: TestApp;
  let browser: TestBrowser;
  let world: PagesWorld;

  beforeAll(async () => {
    t = await startTestApp(backend);
    browser = await launchBrowser();
    world = await pagesWorld(t, 'live', { viewers: 6 });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (t) {
      if (backend.name === 'postgres') await dropPostgresDatabase(t.databaseUrl);
      else rmSync(dirname(t.databaseUrl), { recursive: true, force: true });
    }
  });

  /** Open event streams of the member page (the page's and this test's), as the server counts them. */
  const streams = () => (t.app as unknown as { liveFeed: { connections: number } }).liveFeed.connections;

  it('shows a live badge when a new visitor arrives, with nothing of a hidden viewer in it or in the event', async () => {
    const hidden = { id: `hid-${SECRET}-live`, name: `${SECRET}livename`, headline: `${SECRET}liveheadline`, imageUrl: `https://img.example/${SECRET}live.png`, profileUrl: `https://example.com/${SECRET}live`, visibility: 'private' as const, plan: 'free' as const };
    await t.members(world.workspace, [hidden, { id: 'newcomer', name: 'Nora Newcomer', plan: 'free' }]);
    const link = await mintLink(t, world.admin, world.ownerId);
    expect(link.status, link.text).toBe(201);
    const url = new URL(link.body.url);

    const { page, errors } = await browser.open();
    await page.goto(`${t.url}${url.pathname}${url.search}`);
    const src = await page.getAttribute('#live', 'data-src');
    expect(src).toMatch(/^\/embed\/visitors\/stream\?token=/);
    expect(await page.isHidden('#live')).toBe(true);
    const anonymous = () => page.$$eval('#viewers > li .label', (ls) => ls.filter((l) => l.textContent!.trim() === 'Anonymous member').length);
    const before = { rows: await page.$$eval('#viewers > li', (lis) => lis.length), anonymous: await anonymous() };
    // The page's stream is open (the server has read where it starts) before anything is recorded.
    expect(await until(() => streams() === 1, 10_000)).toBe(true);
    const stream = await readStream(`${t.url}${src}`);
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await until(() => streams() === 2, 10_000)).toBe(true);

    await postBatch(t, world.admin, [{ profileId: world.ownerId, viewerId: hidden.id, viewedAt: t.clock.now() }]);
    await page.waitForSelector('#live:not([hidden])');
    expect((await page.textContent('#live'))!.trim()).toBe('New visitor');
    expect(await page.textContent('#status')).toMatch(/New visitor\. Reload to see them\./);
    expect(await until(() => stream.raw().includes('event: visit'), 10_000)).toBe(true);

    await postBatch(t, world.admin, [{ profileId: world.ownerId, viewerId: 'newcomer', viewedAt: t.clock.now() }]);
    await page.waitForFunction(() => (globalThis as any).document.getElementById('live').textContent === '2 new visitors');
    expect(await until(() => stream.raw().split('event: visit').length === 3, 10_000)).toBe(true);

    // Each event is `event: visit` with empty data; nothing about who it was.
    const events = stream.raw().split('\n\n').filter((b) => b.includes('event: visit'));
    expect(events).toEqual(['event: visit\ndata: {}', 'event: visit\ndata: {}']);
    for (const text of [stream.raw(), await page.content(), (await page.textContent('header'))!]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('hid-');
    }
    // Reloaded, the list shows the private visitor as the reading rules say, still without a secret.
    await page.reload();
    expect(await page.textContent('#viewers')).toContain('Nora Newcomer');
    expect(await page.$$eval('#viewers > li', (lis) => lis.length)).toBe(before.rows + 2);
    expect(await anonymous()).toBe(before.anonymous + 1);
    expect(await page.content()).not.toContain(SECRET);
    stream.close();
    expect(errors).toEqual([]);
    await page.close();
  });
});
