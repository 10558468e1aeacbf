/**
 * The admin console (docs/pages.md) in Debian's Chromium, by clicking: sign-in with an admin key
 * (member keys and wrong keys refused), the session cookie's attributes, CSRF refusal, members
 * search and "open their page", key creation (secret shown once, usable on the API), credits and
 * revocation, settings, sign-out and session expiry; screenshots of the console.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { auth } from './support/assertions.js';
import { artifactsDir, launchBrowser, type TestBrowser } from './support/browser.js';
import { pagesWorld, type PagesWorld } from './fixtures/pages-world.js';

declare const document: any;

describe.each(BACKENDS)('admin console on $name', (backend) => {
  let t: TestApp;
  let browser: TestBrowser;
  let world: PagesWorld;
  let artifacts: ReturnType<typeof artifactsDir>;

  beforeAll(async () => {
    artifacts = artifactsDir(`admin-${backend.name}`);
    t = await startTestApp(backend);
    browser = await launchBrowser();
    world = await pagesWorld(t, 'console', { viewers: 8 });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    artifacts?.cleanup();
  });

  /** Signs in from a browser with no session (all pages of the test browser share cookies). */
  async function signIn(page: Page, key = world.admin) {
    await browser.context.clearCookies();
    await page.goto(`${t.url}/admin`);
    expect(page.url()).toBe(`${t.url}/admin/sign-in`);
    await page.fill('#key', key);
    await page.click('button[type=submit]');
  }

  it('signs in with an admin key only, into an httpOnly SameSite=Strict session cookie', async () => {
    const { page, errors } = await browser.open();
    await signIn(page, 'pv_admin_not-a-real-key');
    expect(await page.textContent('[role=alert]')).toMatch(/not a valid API key/);
    await page.fill('#key', await t.memberKey(world.workspace, world.ownerId));
    await page.click('button[type=submit]');
    expect(await page.textContent('[role=alert]')).toMatch(/member key/);
    await page.fill('#key', world.admin);
    await page.click('button[type=submit]');
    await page.waitForURL(`${t.url}/admin`);
    expect(await page.textContent('h1')).toBe('Overview');
    expect(await page.textContent('.grid')).toMatch(/9\s*members/);
    const cookie = (await page.context().cookies(`${t.url}/admin`)).find((c) => c.name === 'pv_admin')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
    expect(cookie.value).not.toContain(world.admin);
    expect(await page.evaluate(() => document.cookie)).not.toContain('pv_admin=');
    // The session is not an API key.
    expect((await t.request('GET', '/v1/workspace', { headers: auth(decodeURIComponent(cookie.value)) })).status).toBe(401);
    expect(errors.filter((e) => !/401/.test(e))).toEqual([]);
    await page.close();
  });

  it('the overview charts the workspace\'s insights: the points of GET /v1/insights', async () => {
    const { page, errors } = await browser.open();
    await signIn(page);
    await page.waitForURL(`${t.url}/admin`);
    await page.waitForSelector('#trend-chart canvas');
    for (const days of [30, 7]) {
      if (days !== 30) await page.click(`.ranges a:text("${days} days")`);
      await page.waitForFunction((d: number) => document.querySelector('#trend-chart')?.getAttribute('data-drawn') === String(d), days);
      const api = (await t.request('GET', `/v1/insights?range=${days}d`, { headers: auth(world.admin) })).body;
      expect(JSON.parse((await page.textContent('#trend-points'))!)).toEqual(api.series.map((b: any) => [Math.floor(b.from / 1000), b.views]));
      expect(await page.textContent('#top-profiles')).toContain(world.ownerId);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('refuses a form without the session\'s CSRF token', async () => {
    const { page } = await browser.open();
    await signIn(page);
    await page.waitForURL(`${t.url}/admin`);
    const before = (await t.request('GET', '/v1/keys', { headers: auth(world.admin) })).body.keys.length;
    // The same browser, the same cookie, a form without (or with a wrong) token.
    for (const token of [null, 'forged-token']) {
      const status = await page.evaluate(async (tok: string | null) => {
        const body = new URLSearchParams({ role: 'admin', name: 'sneaky' });
        if (tok) body.set('_csrf', tok);
        const res = await fetch('/admin/keys', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        return res.status;
      }, token);
      expect(status).toBe(403);
    }
    // A form on another site posting to the console is refused too (and carries no cookie: SameSite=Strict).
    await page.setContent(`<form method="post" action="${t.url}/admin/keys"><input name="role" value="admin"><button>go</button></form>`);
    await Promise.all([page.waitForNavigation(), page.click('button')]);
    expect(await page.textContent('h1')).not.toBe('API keys');
    expect((await t.request('GET', '/v1/keys', { headers: auth(world.admin) })).body.keys.length).toBe(before);
    await page.close();
  });

  it('creates a key by clicking: its secret is shown once and works; credits and revocation by clicking', async () => {
    const { page, errors } = await browser.open();
    await signIn(page);
    await page.waitForURL(`${t.url}/admin`);
    await page.click('nav.admin >> text=Keys');
    await page.selectOption('#role', 'member');
    await page.fill('#memberId', world.ownerId);
    await page.fill('#name', 'Olivia\'s <app>');
    await page.fill('#credits', '7');
    await page.click('form.stack button[type=submit]');
    const secret = (await page.textContent('#new-secret'))!.trim();
    expect(secret).toMatch(/^pv_member_/);
    const keyId = (await page.textContent('#new-key strong'))!.match(/key_[0-9a-f]+/)![0];
    const listed = await t.request('GET', `/v1/members/${world.ownerId}/visitors`, { headers: auth(secret) });
    expect(listed.status).toBe(200);
    // Shown once: the keys page does not show it again.
    await page.goto(`${t.url}/admin/keys`);
    expect(await page.content()).not.toContain(secret);
    expect(await page.textContent(`tr[data-key="${keyId}"]`)).toContain("Olivia's <app>");
    // Credits.
    await page.fill(`#credits-${keyId}`, '42');
    await page.click(`tr[data-key="${keyId}"] form[action$="/credits"] button`);
    expect(await page.textContent('.flash')).toMatch(/Credits updated/);
    const keys = (await t.request('GET', '/v1/keys', { headers: auth(world.admin) })).body.keys;
    expect(keys.find((k: any) => k.id === keyId).credits).toBe(42);
    // Revocation.
    await page.click(`tr[data-key="${keyId}"] button.danger`);
    expect(await page.textContent('.flash')).toMatch(/Key revoked/);
    expect(await page.textContent(`tr[data-key="${keyId}"]`)).toMatch(/revoked/);
    expect((await t.request('GET', `/v1/members/${world.ownerId}/visitors`, { headers: auth(secret) })).status).toBe(401);
    // The audit log names the signed-in admin key as the actor of each, and holds no secret.
    const adminId = keys.find((k: any) => k.role === 'admin' && k.revokedAt === null).id;
    const audit = await t.request('GET', '/v1/audit?limit=100', { headers: auth(world.admin) });
    const mine = audit.body.entries.filter((e: any) => e.target === keyId).map((e: any) => [e.action, e.actorKeyId]);
    expect(mine).toEqual([
      ['key.created', adminId],
      ['key.credits_set', adminId],
      ['key.revoked', adminId],
    ]);
    expect(audit.text).not.toContain(secret);
    // A bad value is explained, not a 500.
    await page.fill('#role', 'member').catch(() => {});
    await page.selectOption('#role', 'member');
    await page.fill('#memberId', 'nobody-here');
    await page.click('form.stack button[type=submit]');
    expect(await page.textContent('.flash--error')).toMatch(/nobody-here/);
    expect(errors.filter((e) => !/400/.test(e))).toEqual([]);
    await page.close();
  });

  it('finds members by id or name and opens a member\'s page as they see it', async () => {
    const { page, errors } = await browser.open();
    await signIn(page);
    await page.waitForURL(`${t.url}/admin`);
    await page.click('nav.admin >> text=Members');
    await page.fill('#q', 'olivia');
    await page.press('#q', 'Enter');
    await page.waitForSelector('#members');
    expect(await page.$$eval('#members tbody tr td:first-child', (tds) => tds.map((td) => td.textContent))).toEqual([world.ownerId]);
    await page.fill('#q', 'v0');
    await page.press('#q', 'Enter');
    await page.waitForSelector('#members');
    const ids = await page.$$eval('#members tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
    expect(ids.length).toBeGreaterThan(1);
    expect(ids.every((id) => id!.startsWith('v0'))).toBe(true);
    // Hidden viewers are members too, but the search shows the admin their own data: fine. The page does not.
    await page.fill('#q', world.ownerId);
    await page.press('#q', 'Enter');
    await page.click('#members >> text=Open their page');
    await page.waitForSelector('#viewers');
    expect(page.url()).toMatch(/\/embed\/visitors\?token=/);
    expect(await page.$$eval('#viewers > li', (lis) => lis.length)).toBe(world.viewerCount);
    expect(await page.content()).not.toContain('PLANTEDSECRET');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('changes settings by form; bad values are explained', async () => {
    const { page, errors } = await browser.open();
    await signIn(page);
    await page.waitForURL(`${t.url}/admin`);
    await page.click('nav.admin >> text=Settings');
    await page.fill('#dedupWindowMinutes', '45');
    await page.fill('#freeFullViewers', '3');
    await page.fill('#framingOrigins', 'https://app.example.com\nhttps://*.example.org');
    await page.fill('#pageName', 'Console Test');
    await page.click('form.stack button[type=submit]');
    expect(await page.textContent('.flash')).toMatch(/Settings saved/);
    const ws = (await t.request('GET', '/v1/workspace', { headers: auth(world.admin) })).body;
    expect(ws.settings).toMatchObject({ dedupWindowMs: 45 * 60_000, freeFullViewers: 3, framingOrigins: ['https://app.example.com', 'https://*.example.org'], pageName: 'Console Test' });
    await page.fill('#framingOrigins', 'https://ok.example\nhttps://evil.example; script-src *');
    await page.click('form.stack button[type=submit]');
    expect(await page.textContent('.flash--error')).toMatch(/framingOrigins/);
    expect((await t.request('GET', '/v1/workspace', { headers: auth(world.admin) })).body.settings.framingOrigins).toEqual(['https://app.example.com', 'https://*.example.org']);
    expect(errors.filter((e) => !/400/.test(e))).toEqual([]);
    await page.close();
  });

  it('screenshots of the console at 375 and 1280 px, light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const width of [375, 1280]) {
        const { page, errors } = await browser.open({ width, colorScheme });
        await signIn(page);
        await page.waitForURL(`${t.url}/admin`);
        for (const section of ['', '/keys', '/settings']) {
          await page.goto(`${t.url}/admin${section}`);
          const wide = await page.evaluate((w: number) => Array.from(document.querySelectorAll('body *')).filter((e: any) => e.getBoundingClientRect().right > w + 1 && !e.closest('.table-scroll')).map((e: any) => e.tagName + '.' + e.className + '#' + e.id).slice(0, 5), width);
          expect(wide, section).toEqual([]);
          expect(await page.evaluate(() => document.documentElement.scrollWidth), section).toBeLessThanOrEqual(width);
          await page.screenshot({ path: join(artifacts.dir, `admin${section.replace('/', '-') || '-overview'}-${width}-${colorScheme}.png`), fullPage: true });
        }
        expect(errors).toEqual([]);
        await page.close();
      }
    }
  });

  it('signs out; a revoked admin key or an expired session ends the session', async () => {
    const { page } = await browser.open();
    await signIn(page);
    await page.waitForURL(`${t.url}/admin`);
    await page.click('nav.admin button');
    await page.waitForURL(`${t.url}/admin/sign-in`);
    await page.goto(`${t.url}/admin/keys`);
    expect(page.url()).toBe(`${t.url}/admin/sign-in`);
    // Expiry: eight hours later the session is gone.
    await signIn(page);
    await page.waitForURL(`${t.url}/admin`);
    t.clock.advance(8 * 3_600_000 + 1000);
    await page.goto(`${t.url}/admin/keys`);
    expect(page.url()).toBe(`${t.url}/admin/sign-in`);
    // Revocation of the key that signed in.
    const second = await t.adminKey(world.workspace);
    await signIn(page, second);
    await page.waitForURL(`${t.url}/admin`);
    const keys = (await t.request('GET', '/v1/keys', { headers: auth(world.admin) })).body.keys;
    const id = keys.filter((k: any) => k.role === 'admin' && k.revokedAt === null).at(-1).id;
    expect((await t.request('DELETE', `/v1/keys/${id}`, { headers: auth(world.admin) })).status).toBe(204);
    await page.goto(`${t.url}/admin`);
    expect(page.url()).toBe(`${t.url}/admin/sign-in`);
    await page.close();
  });
});
