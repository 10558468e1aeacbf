/**
 * The member page (docs/pages.md) in Debian's Chromium: links minted by the API, the page showing
 * exactly the API's list, "load more" by mouse and keyboard, no planted secret of a hidden
 * viewer anywhere in what the browser receives, refused links, framing by allowed origins only,
 * and screenshots at 375 and 1280 px in light and dark.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { auth, expectNativeError } from './support/assertions.js';
import { artifactsDir, launchBrowser, type TestBrowser } from './support/browser.js';
import { apiViewers, mintLink, pagesWorld, type PagesWorld } from './fixtures/pages-world.js';
import { Signer } from '../src/pages/signing.js';
import { mintEmbedToken } from '../src/pages/embed-token.js';

// Run in the browser by page.evaluate; declared here, as the project compiles without the DOM library.
declare const document: any;
declare function getComputedStyle(element: unknown): any;
type HTMLLIElement = any;

const PAGES_SECRET = 'test-pages-secret-0123456789abcdefghijklmnop';

async function rowsOf(page: Page) {
  return page.$$eval('#viewers > li', (lis) =>
    lis.map((li) => ({
      label: li.querySelector('.label')!.textContent!.trim(),
      count: li.querySelector('.count')!.textContent!.trim(),
      hidden: li.querySelector('.hidden-why')?.textContent?.trim() ?? null,
    })),
  );
}

function pngWidth(path: string): number {
  return readFileSync(path).readUInt32BE(16);
}

describe.each(BACKENDS)('member page on $name', (backend) => {
  let t: TestApp;
  let browser: TestBrowser;
  let world: PagesWorld;
  let artifacts: ReturnType<typeof artifactsDir>;

  beforeAll(async () => {
    artifacts = artifactsDir(`embed-${backend.name}`);
    t = await startTestApp(backend, { pagesSecret: PAGES_SECRET });
    browser = await launchBrowser();
    world = await pagesWorld(t, 'pages');
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    artifacts?.cleanup();
  });

  it('mints links for admins: 15 minutes by default, at most a day, for existing members only', async () => {
    const res = await mintLink(t, world.admin, world.ownerId);
    expect(res.status).toBe(201);
    expect(res.body.expiresAt).toBe(t.clock.now() + 15 * 60_000);
    expect(res.body.url).toMatch(new RegExp(`^${t.url}/embed/visitors\\?token=`));
    // No body at all (no content type either), as curl -X POST sends it: the default lifetime.
    const bare = await t.request('POST', `/v1/members/${world.ownerId}/embed-tokens`, { headers: auth(world.admin) });
    expect(bare.status, bare.text).toBe(201);
    expect(bare.body.expiresAt).toBe(t.clock.now() + 15 * 60_000);
    const day = await mintLink(t, world.admin, world.ownerId, { ttlSeconds: 86_400 });
    expect(day.body.expiresAt).toBe(t.clock.now() + 86_400_000);
    expectNativeError(await mintLink(t, world.admin, world.ownerId, { ttlSeconds: 86_401 }), 400, /ttlSeconds/);
    expectNativeError(await mintLink(t, world.admin, world.ownerId, { ttlSeconds: 0 }), 400, /ttlSeconds/);
    expectNativeError(await mintLink(t, world.admin, 'nobody'), 404);
    const memberKey = await t.memberKey(world.workspace, world.ownerId);
    expectNativeError(await mintLink(t, memberKey, world.ownerId), 403);
    expectNativeError(await t.request('POST', `/v1/members/${world.ownerId}/embed-tokens`, { body: {} }), 401);
  });

  it('a link is not an API key', async () => {
    const { url } = (await mintLink(t, world.admin, world.ownerId)).body;
    const token = new URL(url).searchParams.get('token')!;
    for (const headers of [auth(token), { authorization: `Bearer ${token}` }, auth(url)]) {
      expectNativeError(await t.request('GET', `/v1/members/${world.ownerId}/visitors`, { headers }), 401);
    }
  });

  it('shows the API\'s list, newest first, and loads more by clicking, without console errors', async () => {
    const { url } = (await mintLink(t, world.admin, world.ownerId)).body;
    const api = await apiViewers(t, world.admin, world.ownerId);
    const { page, errors } = await browser.open();
    const res = await page.goto(url);
    expect(res!.status()).toBe(200);
    expect(await page.textContent('.summary strong')).toBe(String(api.total));
    let rows = await rowsOf(page);
    expect(rows).toHaveLength(20);
    await page.click('#more');
    await page.waitForFunction(() => document.querySelectorAll('#viewers > li').length > 20);
    rows = await rowsOf(page);
    expect(await page.$('#more')).toBeNull();
    expect(rows).toEqual(
      api.viewers.map((v) => ({
        label: v.label,
        count: v.viewCount === 1 ? '1 view' : `${v.viewCount} views`,
        hidden: v.appearance === 'full' ? null : expect.any(String),
      })),
    );
    // The free plan: the rows beyond the first five are blurred and say what premium shows.
    expect(rows.filter((r) => r.hidden === 'Premium shows who this is').length).toBe(api.viewers.filter((v) => v.blurred && v.appearance !== 'private').length);
    expect(await page.textContent('#plan-note')).toMatch(/Premium shows every viewer/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('draws the views trend with the insights API\'s points; range buttons as the plan allows', async () => {
    const { url } = (await mintLink(t, world.admin, world.ownerId)).body;
    const series = async (range: string) =>
      (await t.request('GET', `/v1/members/${world.ownerId}/insights?range=${range}`, { headers: auth(world.admin) })).body.series.map((b: any) => [
        Math.floor(b.from / 1000),
        b.views,
      ]);
    const { page, errors } = await browser.open();
    await page.goto(url);
    await page.waitForSelector('#trend-chart canvas');
    const drawn = async () => ({
      count: Number(await page.getAttribute('#trend-chart', 'data-drawn')),
      points: JSON.parse((await page.textContent('#trend-points'))!),
    });
    const thirty = await series('30d');
    expect(thirty.some((p: number[]) => p[1]! > 0)).toBe(true);
    expect(await drawn()).toEqual({ count: thirty.length, points: thirty });
    // The free plan sees 90 days: no 365-day button.
    expect(await page.$$eval('.ranges a', (as) => as.map((a) => a.textContent))).toEqual(['7 days', '30 days', '90 days']);
    await page.click('.ranges a:text("7 days")');
    await page.waitForFunction(() => document.querySelector('#trend-chart')?.getAttribute('data-drawn') === '7');
    expect(await drawn()).toEqual({ count: 7, points: await series('7d') });
    expect(await page.getAttribute('.ranges a:text("7 days")', 'aria-current')).toBe('true');
    expect(errors).toEqual([]);
    // Without script the buttons are links to the page with that range.
    const ninety = await t.request('GET', (await page.getAttribute('.ranges a:text("90 days")', 'href'))!);
    expect(ninety.text).toContain(JSON.stringify(await series('90d')));
    // A range beyond the plan is refused by the data route.
    const token = new URL(url).searchParams.get('token')!;
    expect((await t.request('GET', `/embed/visitors/trend?token=${encodeURIComponent(token)}&days=365`)).status).toBe(403);
    await page.close();
  });

  it('shows a premium member\'s breakdowns as bars, exactly the insights API\'s buckets', async () => {
    const premium = await pagesWorld(t, 'pages-premium', { plan: 'premium' });
    const api = (await t.request('GET', `/v1/members/${premium.ownerId}/insights?range=30d&breakdowns=true`, { headers: auth(premium.admin) })).body;
    const companies = api.breakdowns.companies;
    expect(companies.buckets.length).toBeGreaterThan(0);
    const { url } = (await mintLink(t, premium.admin, premium.ownerId)).body;
    const { page, errors } = await browser.open();
    await page.goto(url);
    expect(await page.$('#plan-note')).toBeNull();
    expect(await page.$$eval('.ranges a', (as) => as.map((a) => a.textContent))).toEqual(['7 days', '30 days', '90 days', '365 days']);
    const section = page.locator('section', { has: page.locator('h2:text("Where your viewers work")') });
    const items = await section.locator('[role=listitem]').allTextContents();
    const expected = companies.buckets.map((b: any) => `${b.value}: ${b.viewers}`);
    if (companies.other > 0) expected.push(`Other: ${companies.other}`);
    expect(items).toEqual(expected);
    for (const secret of premium.secrets) expect(await page.content()).not.toContain(secret);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('is keyboard-navigable: Tab reaches "load more", Enter loads and moves focus to the new rows', async () => {
    const { url } = (await mintLink(t, world.admin, world.ownerId)).body;
    const { page, errors } = await browser.open({ width: 375, height: 800 });
    await page.goto(url);
    let reached = false;
    for (let i = 0; i < 80 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.id === 'more');
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('#viewers > li').length > 20);
    expect(await page.evaluate(() => Array.from(document.querySelectorAll('#viewers > li')).indexOf(document.activeElement as HTMLLIElement))).toBe(20);
    expect(await page.textContent('#status')).toMatch(/more viewers loaded/);
    // Usable at 375 px: nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('no planted secret of a hidden viewer reaches the browser: not on screen, not in the HTML, not in loaded rows', async () => {
    const { url } = (await mintLink(t, world.admin, world.ownerId)).body;
    const token = new URL(url).searchParams.get('token')!;
    const sources = [
      (await t.request('GET', `/embed/visitors?token=${encodeURIComponent(token)}`)).text,
      (await t.request('GET', `/embed/visitors?token=${encodeURIComponent(token)}&offset=20`)).text,
      (await t.request('GET', `/embed/visitors/rows?token=${encodeURIComponent(token)}&offset=20`)).text,
    ];
    const { page } = await browser.open();
    await page.goto(url);
    await page.click('#more');
    await page.waitForFunction(() => !document.getElementById('more'));
    const rendered = [await page.content(), await page.evaluate(() => document.body.innerText)];
    expect(world.secrets.length).toBeGreaterThan(10);
    for (const text of [...sources, ...rendered]) {
      for (const secret of world.secrets) expect(text).not.toContain(secret);
      expect(text).not.toContain('PLANTEDSECRET');
    }
    // Names are escaped, never markup.
    expect(sources[0]).toContain('Viewer 0 &lt;b&gt;Bold&lt;/b&gt;');
    await page.close();
  });

  it('refuses forged, altered, expired and unknown-workspace links with a 401 page', async () => {
    const { url } = (await mintLink(t, world.admin, world.ownerId, { ttlSeconds: 60 })).body;
    const token = new URL(url).searchParams.get('token')!;
    const other = new Signer('another-secret-0123456789abcdefghijklmnopqrstu');
    const signer = new Signer(PAGES_SECRET);
    const future = t.clock.now() + 3_600_000;
    const [body, mac] = token.split('.');
    const altered = `${Buffer.from(JSON.stringify({ w: world.workspace, m: 'v00', exp: future })).toString('base64url')}.${mac}`;
    const cases = {
      forged: mintEmbedToken(other, { workspaceId: world.workspace, memberId: world.ownerId, exp: future }),
      altered,
      garbage: 'not-a-token',
      truncated: `${body}.`,
      unknownWorkspace: mintEmbedToken(signer, { workspaceId: 'no-such-workspace', memberId: world.ownerId, exp: future }),
    };
    const { page, errors } = await browser.open();
    for (const [name, bad] of Object.entries(cases)) {
      const res = await page.goto(`${t.url}/embed/visitors?token=${encodeURIComponent(bad)}`);
      expect(res!.status(), name).toBe(401);
      expect(await page.textContent('h1')).toBe('This link is not valid');
      expect(await page.$('#viewers')).toBeNull();
      expect((await t.request('GET', `/embed/visitors/rows?token=${encodeURIComponent(bad)}`)).status, name).toBe(401);
    }
    const ok = await page.goto(url);
    expect(ok!.status()).toBe(200);
    t.clock.advance(61_000);
    const expired = await page.goto(url);
    expect(expired!.status()).toBe(401);
    expect(await page.textContent('main')).toMatch(/expired/);
    expect(errors.filter((e) => !/401/.test(e))).toEqual([]);
    await page.close();
  });

  it('a free member browsing privately is told why there is no list', async () => {
    await t.members(world.workspace, [{ id: 'shy', name: 'Shy Owner', plan: 'free', visibility: 'private' }]);
    const { url } = (await mintLink(t, world.admin, 'shy')).body;
    const res = await t.request('GET', new URL(url).pathname + new URL(url).search);
    expect(res.status).toBe(403);
    expect(res.text).toMatch(/private mode need a premium plan/);
  });

  it('has a strict CSP, and may be framed by the workspace\'s framing origins only', async () => {
    const { url } = (await mintLink(t, world.admin, world.ownerId)).body;
    const direct = await t.request('GET', new URL(url).pathname + new URL(url).search);
    const csp = direct.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(direct.headers.get('referrer-policy')).toBe('no-referrer');
    expect(direct.text).not.toMatch(/<script(?![^>]*\bsrc=)(?![^>]*application\/json)/);
    expect(direct.text).not.toMatch(/\sstyle=|\son[a-z]+=/i);

    // A host app on a real server of its own (another origin on loopback: Chromium refuses a
    // public origin framing a loopback page, whatever the CSP says).
    const host = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>host app</title><iframe id="f" src="${url}" width="400" height="600"></iframe>`);
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    const hostPort = (host.address() as AddressInfo).port;
    const app = `http://localhost:${hostPort}`;
    const frameFrom = async (origin: string) => {
      const { page } = await browser.open();
      await page.goto(`${origin}/profile`);
      await page.waitForSelector('#f');
      // A refused frame ends on Chromium's error page; an allowed one shows the list.
      let shown: boolean | undefined;
      while (shown === undefined) {
        for (const f of page.frames()) {
          if (f.url().startsWith('chrome-error:')) shown = false;
          else if (f.url().includes('/embed/visitors') && (await f.$('#viewers').catch(() => null))) shown = true;
        }
        if (shown === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      await page.close();
      return shown;
    };
    try {
      expect(await frameFrom(app)).toBe(false);
      const patched = await t.request('PATCH', '/v1/workspace/settings', { headers: auth(world.admin), body: { framingOrigins: [app, 'https://*.example.com'] } });
      expect(patched.status).toBe(200);
      expect(patched.body.settings.framingOrigins).toEqual([app, 'https://*.example.com']);
      expect((await t.request('GET', new URL(url).pathname + new URL(url).search)).headers.get('content-security-policy')).toContain(
        `frame-ancestors ${app} https://*.example.com`,
      );
      expect(await frameFrom(app)).toBe(true);
      // The same host app under another origin is refused.
      expect(await frameFrom(`http://127.0.0.1:${hostPort}`)).toBe(false);
    } finally {
      host.closeAllConnections();
      await new Promise((resolve) => host.close(resolve));
    }
    // Nothing that could end the directive gets into the setting.
    for (const bad of ['https://a.example; script-src *', "'self'", 'https://a.example/path', 'javascript:alert(1)']) {
      expectNativeError(await t.request('PATCH', '/v1/workspace/settings', { headers: auth(world.admin), body: { framingOrigins: [bad] } }), 400, /framingOrigins/);
    }
  });

  it('weighs under 100 KB gzipped with its scripts and styles, all from this server', async () => {
    const { url } = (await mintLink(t, world.admin, world.ownerId)).body;
    const page = await t.request('GET', new URL(url).pathname + new URL(url).search);
    const assets = [...page.text.matchAll(/(?:src|href)="(\/pages\/[^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
    expect(assets.some((a) => a.endsWith('/uplot.js'))).toBe(true);
    expect(page.text).not.toMatch(/(?:src|href)="https?:\/\/(?!example\.com)/);
    let total = gzipSync(page.text).length;
    for (const a of assets) {
      const res = await t.request('GET', a);
      expect(res.status, a).toBe(200);
      total += gzipSync(res.text).length;
    }
    expect(total).toBeLessThan(100 * 1024);
  });

  it('shows the workspace\'s name, accent colour and logo', async () => {
    const patched = await t.request('PATCH', '/v1/workspace/settings', {
      headers: auth(world.admin),
      body: { pageName: 'Acme <Network>', accentColor: '#AA3300', logoUrl: 'https://cdn.example/logo.png' },
    });
    expect(patched.status).toBe(200);
    const { url } = (await mintLink(t, world.admin, world.ownerId)).body;
    const { page, errors } = await browser.open();
    await page.route('https://cdn.example/**', (route) => route.fulfill({ contentType: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" width="80" height="24"><rect width="80" height="24" fill="#a30"/></svg>' }));
    await page.goto(url);
    expect(await page.textContent('.brand-name')).toBe('Acme <Network>');
    expect(await page.getAttribute('.brand img', 'src')).toBe('https://cdn.example/logo.png');
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim())).toBe('#aa3300');
    expectNativeError(await t.request('PATCH', '/v1/workspace/settings', { headers: auth(world.admin), body: { accentColor: 'red;}' } }), 400);
    expectNativeError(await t.request('PATCH', '/v1/workspace/settings', { headers: auth(world.admin), body: { logoUrl: 'http://plain.example/x.png' } }), 400, /logoUrl/);
    expect(errors).toEqual([]);
    await t.request('PATCH', '/v1/workspace/settings', { headers: auth(world.admin), body: { logoUrl: null } });
    await page.close();
  });

  it('follows the light or dark scheme and fits 375 px; screenshots at 375 and 1280 px, light and dark', async () => {
    const { url } = (await mintLink(t, world.admin, world.ownerId)).body;
    const backgrounds: Record<string, string> = {};
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const width of [375, 1280]) {
        const { page, errors } = await browser.open({ width, height: 900, colorScheme });
        await page.goto(url);
        backgrounds[colorScheme] = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
        const file = join(artifacts.dir, `embed-${width}-${colorScheme}.png`);
        await page.screenshot({ path: file, fullPage: true });
        expect(pngWidth(file)).toBe(width);
        expect(errors).toEqual([]);
        await page.close();
      }
    }
    expect(backgrounds.light).toBe('rgb(255, 255, 255)');
    expect(backgrounds.dark).not.toBe(backgrounds.light);
  });
});
