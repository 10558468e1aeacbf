/**
 * The admin console's webhooks and audit-log pages (docs/pages.md) in Debian's Chromium, with a
 * real local receiver that fails first and then succeeds: the failed delivery and its attempt on
 * the page, retry and replay by clicking (the receiver gets the same signed message again,
 * checked with the standardwebhooks package), disable and enable, CSRF refusal, bad replay
 * windows explained; the audit page lists the API's entries newest first, page by page, with no
 * secret; screenshots of the new pages.
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { BACKENDS, dropPostgresDatabase } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { auth, until } from './support/assertions.js';
import { artifactsDir, launchBrowser, type TestBrowser } from './support/browser.js';
import { startReceiver, type Receiver } from './support/receiver.js';
import { freePort } from './support/processes.js';

declare const document: any;

describe.each(BACKENDS)('console webhooks and audit pages on $name', (backend) => {
  let t: TestApp;
  let browser: TestBrowser;
  let artifacts: ReturnType<typeof artifactsDir>;
  let receiver: Receiver;
  let admin: string;
  let adminId: string;
  let endpoint: { id: string; secret: string };

  beforeAll(async () => {
    artifacts = artifactsDir(`console-webhooks-${backend.name}`);
    // One attempt per message (the schedule has no retry), so a failure stays failed until retried by hand.
    t = await startTestApp(backend, { webhooks: { deliver: true, allowPrivateNetworks: true, scheduleMs: [0], timeoutMs: 5_000 } });
    browser = await launchBrowser();
    // The receiver fails its first request and accepts every later one.
    receiver = await startReceiver((_r, res, index) => {
      if (index === 0) res.writeHead(500, { 'content-type': 'text/plain' }).end('not now');
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    admin = await t.adminKey('hooks');
    adminId = (await t.request('GET', '/v1/keys', { headers: auth(admin) })).body.keys.find((k: any) => k.role === 'admin').id;
    const created = await t.request('POST', '/v1/webhooks', { headers: auth(admin), body: { url: receiver.url, events: ['member.created'], description: 'CRM <sync>' } });
    expect(created.status, created.text).toBe(201);
    endpoint = created.body;
  });
  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await t?.close();
    artifacts?.cleanup();
    if (t) {
      if (backend.name === 'postgres') await dropPostgresDatabase(t.databaseUrl);
      else rmSync(dirname(t.databaseUrl), { recursive: true, force: true });
    }
  });

  async function signIn(page: Page, key = admin) {
    await browser.context.clearCookies();
    await page.goto(`${t.url}/admin`);
    await page.fill('#key', key);
    await page.click('button[type=submit]');
    await page.waitForURL(`${t.url}/admin`);
  }
  const deliveries = async () => (await t.request('GET', `/v1/webhooks/${endpoint.id}/deliveries`, { headers: auth(admin) })).body.deliveries as any[];
  /** Reloads until the message's row says `status` (delivery happens in the background). */
  async function rowStatus(page: Page, messageId: string, status: string) {
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.getAttribute(`tr[data-message="${messageId}"]`, 'data-status');
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBe(status);
  }

  it('shows the failed delivery with its attempt; retry by clicking delivers the same signed message', async () => {
    const put = await t.request('PUT', '/v1/members/alice', { headers: auth(admin), body: { name: 'Alice' } });
    expect(put.status, put.text).toBeLessThan(300);
    expect(await until(() => receiver.received.length === 1, 15_000)).toBe(true);
    await expect.poll(async () => (await deliveries())[0]?.status, { timeout: 15_000, interval: 50 }).toBe('failed');
    const [failed] = await deliveries();

    const { page, errors } = await browser.open();
    await signIn(page);
    await page.click('nav.admin >> text=Webhooks');
    await page.waitForSelector('#endpoints');
    const row = `#endpoints tr[data-endpoint="${endpoint.id}"]`;
    expect(await page.textContent(`${row} .url`)).toBe(receiver.url);
    expect(await page.textContent(row)).toContain('member.created');
    expect(await page.textContent(row)).toContain('CRM <sync>');
    expect(await page.textContent(`${row} .state`)).toMatch(/enabled/);
    await page.click(`${row} a.url`);
    await page.waitForSelector('#deliveries');
    const msg = `tr[data-message="${failed.id}"]`;
    expect(await page.getAttribute(msg, 'data-status')).toBe('failed');
    const attempts = await page.$$eval(`${msg} ol.attempts > li`, (lis) => lis.map((li) => li.textContent));
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatch(/HTTP 500/);
    expect(attempts[0]).toMatch(/in \d+ ms/);
    expect(attempts[0]).toContain(new Date(failed.attempts[0].attemptedAt).toISOString().slice(0, 19).replace('T', ' '));
    // The signing secret is never on a console page.
    expect(await page.content()).not.toContain(endpoint.secret.slice(6));

    await page.click(`${msg} button:text("Retry")`);
    expect(await page.textContent('.flash')).toMatch(/queued again/);
    expect(await until(() => receiver.received.length === 2, 15_000)).toBe(true);
    const bodies = receiver.verified(endpoint.secret);
    expect(receiver.received.map((r) => r.id)).toEqual([failed.id, failed.id]);
    expect(bodies[1]).toMatchObject({ event: 'member.created', data: { memberId: 'alice' } });
    expect(bodies[1]).toEqual(bodies[0]);
    await rowStatus(page, failed.id, 'delivered');
    const after = await page.$$eval(`${msg} ol.attempts > li`, (lis) => lis.map((li) => li.textContent));
    expect(after).toHaveLength(2);
    expect(after[1]).toMatch(/HTTP 200/);
    expect(await page.textContent(`${msg} .status`)).toMatch(/delivered/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('replays the window by clicking: the receiver gets the listed messages again, same ids', async () => {
    await t.request('PUT', '/v1/members/bob', { headers: auth(admin), body: { name: 'Bob' } });
    expect(await until(() => receiver.received.length === 3, 15_000)).toBe(true);
    const { page, errors } = await browser.open();
    await signIn(page);
    await page.goto(`${t.url}/admin/webhooks/${endpoint.id}`);
    await page.waitForSelector('#deliveries');
    // Bob's message, whichever order the worker records its attempt in.
    const ids = (await deliveries()).map((d) => d.id);
    expect(ids).toHaveLength(2);
    await page.click('#replay button[type=submit]');
    expect(await page.textContent('.flash')).toMatch(/2 messages queued again/);
    expect(await until(() => receiver.received.length === 5, 15_000)).toBe(true);
    receiver.verified(endpoint.secret);
    expect(new Set(receiver.received.slice(3).map((r) => r.id))).toEqual(new Set(ids));
    for (const id of ids) await rowStatus(page, id, 'delivered');
    await page.click('.filters a:text("failed")');
    expect(await page.textContent('#no-deliveries')).toMatch(/No failed message/);
    await page.click('.filters a:text("delivered")');
    expect(await page.$$eval('#deliveries tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-message')))).toEqual(ids);
    // A window that ends before it starts is explained, and nothing is sent.
    await page.fill('#since', '2026-11-02T00:00:00');
    await page.fill('#until', '2026-11-01T00:00:00');
    await page.click('#replay button[type=submit]');
    expect(await page.textContent('.flash--error')).toMatch(/until must be after since/);
    expect(receiver.received).toHaveLength(5);
    // Dates that are not dates (posted as a script could) are explained too, never a 500.
    for (const [since, until] of [['yesterday', '2026-11-01T00:00'], ['2026-02-31T00:00', '2026-03-05T00:00'], ['0050-01-01T00:00', '2026-01-01T00:00']] as const) {
      const res = await page.evaluate(
        async ({ id, since, until }: { id: string; since: string; until: string }) => {
          const _csrf = document.querySelector('#replay input[name=_csrf]').value;
          const r = await fetch(`/admin/webhooks/${id}/replay`, { method: 'POST', body: new URLSearchParams({ _csrf, since, until }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
          return { status: r.status, text: await r.text() };
        },
        { id: endpoint.id, since, until },
      );
      expect(res.status, since).toBe(400);
      expect(res.text).toMatch(/since must be a date and time like 2026-11-01T12:00 \(UTC\)/);
    }
    expect(receiver.received).toHaveLength(5);
    expect(errors.filter((e) => !/400/.test(e))).toEqual([]);
    await page.close();
  });

  it('disables and enables an endpoint by clicking; a form without the session\'s CSRF token is refused', async () => {
    const { page, errors } = await browser.open();
    await signIn(page);
    await page.goto(`${t.url}/admin/webhooks`);
    const row = `#endpoints tr[data-endpoint="${endpoint.id}"]`;
    await page.click(`${row} button:text("Disable")`);
    expect(await page.textContent('.flash')).toMatch(/Endpoint disabled/);
    expect(await page.textContent(`${row} .state`)).toMatch(/disabled\s*disabled by an administrator/);
    expect((await t.request('GET', `/v1/webhooks/${endpoint.id}`, { headers: auth(admin) })).body).toMatchObject({ enabled: false, disabledReason: 'disabled by an administrator' });
    // Forged forms change nothing.
    for (const tok of [null, 'forged']) {
      const status = await page.evaluate(
        async ({ id, tok }: { id: string; tok: string | null }) => {
          const body = new URLSearchParams(tok ? { _csrf: tok } : {});
          return (await fetch(`/admin/webhooks/${id}/enable`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status;
        },
        { id: endpoint.id, tok },
      );
      expect(status).toBe(403);
    }
    expect((await t.request('GET', `/v1/webhooks/${endpoint.id}`, { headers: auth(admin) })).body.enabled).toBe(false);
    await page.click(`${row} a.url`);
    await page.click('#endpoint button:text("Enable")');
    expect(await page.textContent('.flash')).toMatch(/Endpoint enabled/);
    expect(await page.textContent('#endpoint .state')).toMatch(/^enabled/);
    expect((await t.request('GET', `/v1/webhooks/${endpoint.id}`, { headers: auth(admin) })).body).toMatchObject({ enabled: true, disabledReason: null });
    // An endpoint of no one, or of another workspace, is a 404 page.
    const other = await t.adminKey('elsewhere');
    await signIn(page, other);
    const res = await page.goto(`${t.url}/admin/webhooks/${endpoint.id}`);
    expect(res!.status()).toBe(404);
    expect(await page.content()).not.toContain(receiver.url);
    expect(errors.filter((e) => !/40[34]/.test(e))).toEqual([]);
    await page.close();
  });

  it('a delivery that got no response shows the network error of its attempt, not a status', async () => {
    // A port nobody listens on: the connection is refused.
    const refused = await t.request('POST', '/v1/webhooks', { headers: auth(admin), body: { url: `http://127.0.0.1:${await freePort()}/gone`, events: ['member.updated'] } });
    expect(refused.status, refused.text).toBe(201);
    await t.request('PUT', '/v1/members/alice', { headers: auth(admin), body: { name: 'Alice Again' } });
    const log = async () => (await t.request('GET', `/v1/webhooks/${refused.body.id}/deliveries`, { headers: auth(admin) })).body.deliveries as any[];
    await expect.poll(async () => (await log())[0]?.status, { timeout: 15_000, interval: 50 }).toBe('failed');
    const [m] = await log();
    const { page, errors } = await browser.open();
    await signIn(page);
    await page.goto(`${t.url}/admin/webhooks/${refused.body.id}`);
    const attempt = (await page.textContent(`tr[data-message="${m.id}"] ol.attempts > li`))!;
    expect(attempt).toContain(m.attempts[0].error);
    expect(attempt).toMatch(/ECONNREFUSED/);
    expect(attempt).not.toMatch(/HTTP \d/);
    expect(attempt).toMatch(/in \d+ ms/);
    // It is gone again: the other tests count one endpoint's audit entries and messages only.
    expect((await t.request('DELETE', `/v1/webhooks/${refused.body.id}`, { headers: auth(admin) })).status).toBe(204);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the audit page lists the console\'s webhook actions as the signed-in key, newest first, no secret', async () => {
    const { page, errors } = await browser.open();
    await signIn(page);
    await page.click('nav.admin >> text=Audit log');
    await page.waitForSelector('#audit');
    const rows = await page.$$eval('#audit tbody tr', (trs) =>
      trs.map((tr) => [tr.querySelector('.actor')!.textContent, tr.querySelector('.action')!.textContent, tr.querySelector('.target')!.textContent]),
    );
    const api = (await t.request('GET', '/v1/audit?limit=1000', { headers: auth(admin) })).body.entries;
    expect(rows).toEqual(api.map((e: any) => [e.actorKeyId ?? 'command line', e.action, e.target]).reverse());
    const webhookRows = rows.filter((r) => r[1]!.startsWith('webhook.'));
    expect(webhookRows).toEqual([
      [adminId, 'webhook.updated', endpoint.id],
      [adminId, 'webhook.updated', endpoint.id],
      [adminId, 'webhook.replayed', endpoint.id],
      [adminId, 'webhook.retried', endpoint.id],
    ]);
    const newestWebhookDetails = await page.$$eval('#audit tbody tr', (trs) => trs.find((tr) => tr.querySelector('.action')!.textContent!.startsWith('webhook.'))!.querySelector('.details')!.textContent);
    expect(newestWebhookDetails).toBe('enabled: true');
    const content = await page.content();
    expect(content).not.toContain(admin);
    expect(content).not.toContain(endpoint.secret.slice(6));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('pages through a long audit log newest first: the pages together are the API\'s entries reversed', async () => {
    const key = await t.adminKey('long-log');
    for (let i = 0; i < 57; i++) {
      t.clock.advance(1_000);
      const res = await t.request('PUT', `/v1/members/m${String(i).padStart(2, '0')}`, { headers: auth(key), body: { name: `Member ${i}` } });
      expect(res.status, res.text).toBeLessThan(300);
    }
    const api = (await t.request('GET', '/v1/audit?limit=1000', { headers: auth(key) })).body.entries.map((e: any) => e.target).reverse();
    expect(api).toHaveLength(57);
    const { page, errors } = await browser.open();
    await signIn(page, key);
    await page.goto(`${t.url}/admin/audit`);
    const first = await page.$$eval('#audit tbody .target', (tds) => tds.map((td) => td.textContent));
    expect(first).toEqual(api.slice(0, 50));
    await page.click('a:text("Older entries")');
    await page.waitForURL(/before=/);
    const second = await page.$$eval('#audit tbody .target', (tds) => tds.map((td) => td.textContent));
    expect(second).toEqual(api.slice(50));
    expect(await page.$('a:text("Older entries")')).toBeNull();
    await page.click('a:text("Newest entries")');
    expect(await page.$$eval('#audit tbody .target', (tds) => tds.map((td) => td.textContent))).toEqual(api.slice(0, 50));
    // A cursor that is not one is the first page, not an error.
    expect((await page.goto(`${t.url}/admin/audit?before=x'); drop`))!.status()).toBe(200);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the new pages weigh under 100 KB gzipped with their scripts and styles, and fit 375 px; screenshots', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const width of [375, 1280]) {
        const { page, errors } = await browser.open({ width, colorScheme });
        await signIn(page);
        for (const [name, path] of [
          ['webhooks', '/admin/webhooks'],
          ['webhook-endpoint', `/admin/webhooks/${endpoint.id}`],
          ['audit', '/admin/audit'],
        ] as const) {
          await page.goto(`${t.url}${path}`);
          const wide = await page.evaluate((w: number) => Array.from(document.querySelectorAll('body *')).filter((e: any) => e.getBoundingClientRect().right > w + 1 && !e.closest('.table-scroll')).map((e: any) => e.tagName + '.' + e.className + '#' + e.id).slice(0, 5), width);
          expect(wide, path).toEqual([]);
          expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(width);
          await page.screenshot({ path: join(artifacts.dir, `admin-${name}-${width}-${colorScheme}.png`), fullPage: true });
        }
        expect(errors).toEqual([]);
        await page.close();
      }
    }
    // Size: the HTML and everything it links from this server, gzipped.
    const { page } = await browser.open();
    await signIn(page);
    for (const path of ['/admin/webhooks', `/admin/webhooks/${endpoint.id}`, '/admin/audit']) {
      const res = await page.goto(`${t.url}${path}`);
      const htmlText = await res!.text();
      const linked = [...htmlText.matchAll(/(?:src|href)="(\/pages\/[^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
      let total = gzipSync(htmlText).length;
      for (const url of linked) total += gzipSync(Buffer.from(await (await fetch(`${t.url}${url}`)).arrayBuffer())).length;
      expect(total, path).toBeLessThan(100 * 1024);
    }
    await page.close();
  });

  it('full pages (50 messages, 50 audit entries) stay under 100 KB gzipped', async () => {
    // Each new member is one audit entry and one member.created message.
    for (let i = 0; i < 50; i++) {
      const res = await t.request('PUT', `/v1/members/full${i}`, { headers: auth(admin), body: { name: `Full ${i}` } });
      expect(res.status, res.text).toBeLessThan(300);
    }
    // Sent (each with its attempt), so the rows are as full as they get.
    const sent = async () => (await t.request('GET', `/v1/webhooks/${endpoint.id}/deliveries?limit=100`, { headers: auth(admin) })).body.deliveries.filter((d: any) => d.status !== 'pending').length;
    await expect.poll(sent, { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(50);
    const { page } = await browser.open();
    await signIn(page);
    for (const [path, rows] of [
      [`/admin/webhooks/${endpoint.id}`, '#deliveries tbody tr'],
      ['/admin/audit', '#audit tbody tr'],
    ] as const) {
      const res = await page.goto(`${t.url}${path}`);
      expect(await page.$$eval(rows, (trs) => trs.length), path).toBe(50);
      const body = await res!.text();
      const css = await (await fetch(`${t.url}${body.match(/href="(\/pages\/assets\/[^"]+pages\.css)"/)![1]}`)).text();
      expect(gzipSync(body).length + gzipSync(css).length, path).toBeLessThan(100 * 1024);
    }
    await page.close();
  });
});
