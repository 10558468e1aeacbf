/**
 * Regenerates docs/screenshots/ (the README's pictures): starts the app on a temporary SQLite
 * file with a small made-up workspace, opens the member page and the admin console in Debian's
 * Chromium (playwright-core, .ci/install-chromium) at 375 and 1280 px, light and dark, saves
 * PNGs, removes everything else. The console's webhooks pages get a local receiver that refuses
 * its first and third messages. Run: `npx tsx scripts/screenshots.ts`.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { buildApp } from '../src/http/app.js';
import { openStore } from '../src/storage/open-store.js';
import { createApiKey, ensureWorkspace, recordVisits, systemClock, updateWorkspaceSettings, type MemberInput } from '../src/core/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'docs', 'screenshots');

const PEOPLE: Array<Omit<MemberInput, 'id'>> = [
  { name: 'Amara Okafor', headline: 'Product designer at Lumen', company: 'Lumen' },
  { name: 'Jonas Weber', headline: 'Engineering manager, payments', company: 'Kestrel Bank' },
  { visibility: 'private', name: 'x', company: 'Hidden' },
  { name: 'Priya Raman', headline: 'Talent partner', company: 'Northwind' },
  { visibility: 'characteristics', name: 'x', company: 'Contoso' },
  { name: 'Lucas Martin', headline: 'Founder, small coffee roastery', company: 'Torréfaction Martin' },
  { name: 'Sofia Rossi', headline: 'Data scientist', company: 'Fabrikam' },
  { name: 'Kenji Sato', headline: 'Mobile developer', company: 'Tailspin' },
  { name: 'Elena Petrova', headline: 'Recruiter, engineering', company: 'Northwind' },
  { name: 'Omar Haddad', headline: 'UX researcher', industry: 'Design' },
  { name: 'Grace Liu', headline: 'Staff engineer', company: 'Lumen' },
  { name: 'Tomás Silva', headline: 'Sales lead', location: 'Lisbon' },
];

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'pv-screenshots-'));
  const profile = mkdtempSync(join(tmpdir(), 'pv-chromium-'));
  const store = await openStore({ databaseUrl: join(dir, 'shots.db'), sqliteSynchronous: 'normal', pgPoolSize: 1 });
  let hits = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const n = hits++;
      res.writeHead(n === 0 || n === 2 ? 503 : 200, { 'content-type': 'text/plain' }).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const app = await buildApp({
    config: { bodyLimitBytes: 1 << 20, logLevel: 'silent', authCacheMs: 0, rateLimitMax: 1_000_000, rateLimitWindowMs: 60_000 },
    store,
    logger: false,
    // One attempt a message: a refused one stays failed, for the Retry button to show.
    deliverWebhooks: true,
    webhooks: { webhookAllowPrivateNetworks: true, webhookRetryScheduleMs: [0] },
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    headless: true,
  });
  try {
    const deps = { store, clock: systemClock };
    let ws = await ensureWorkspace(deps, 'demo', 'Demo Network');
    ws = await updateWorkspaceSettings(deps, ws, { pageName: 'Demo Network', accentColor: '#0a66c2' });
    const members: MemberInput[] = [{ id: 'maya', name: 'Maya Chen', plan: 'free' }, { id: 'sam', name: 'Sam Park', plan: 'premium' }, ...PEOPLE.map((p, i) => ({ id: `m${i}`, plan: 'free' as const, ...p }))];
    await store.members.upsert(ws.id, members, 'replace', Date.now());
    const now = Date.now();
    const visits = PEOPLE.flatMap((_, i) =>
      Array.from({ length: 1 + (i % 3) }, (_, k) => ({ profileId: 'maya', viewerId: `m${i}`, viewedAt: now - (i * i * 47 + 3) * 60_000 - k * 86_400_000 * 2, source: (['search', 'feed', 'profile'] as const)[i % 3] })),
    );
    await recordVisits(deps, ws, [...visits, ...visits.map((v) => ({ ...v, profileId: 'sam' }))]);
    const admin = await createApiKey(deps, ws, { role: 'admin', name: 'console' });
    await createApiKey(deps, ws, { role: 'member', memberId: 'maya', name: 'Maya\'s app', credits: 500 });
    const mint = await app.inject({ method: 'POST', url: '/v1/members/maya/embed-tokens', headers: { 'x-api-key': admin.secret }, payload: { ttlSeconds: 3600 } });
    const embed = new URL(JSON.parse(mint.body).url);
    embed.host = new URL(url).host;
    mkdirSync(OUT, { recursive: true });
    const page = await context.newPage();
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const width of [375, 1280]) {
        await page.setViewportSize({ width, height: width === 375 ? 812 : 900 });
        await page.emulateMedia({ colorScheme });
        await page.goto(embed.toString());
        await page.screenshot({ path: join(OUT, `member-page-${width}-${colorScheme}.png`), fullPage: width === 375 });
      }
    }
    const premium = await app.inject({ method: 'POST', url: '/v1/members/sam/embed-tokens', headers: { 'x-api-key': admin.secret }, payload: { ttlSeconds: 3600 } });
    const premiumUrl = new URL(JSON.parse(premium.body).url);
    premiumUrl.host = new URL(url).host;
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(premiumUrl.toString());
    await page.screenshot({ path: join(OUT, 'member-page-premium-1280-light.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${url}/admin/sign-in`);
    await page.fill('#key', admin.secret);
    await page.click('button[type=submit]');
    await page.waitForURL(`${url}/admin`);
    await page.screenshot({ path: join(OUT, 'admin-overview-1280-light.png') });
    await page.goto(`${url}/admin/keys`);
    await page.screenshot({ path: join(OUT, 'admin-keys-1280-light.png'), fullPage: true });

    // Webhooks: an endpoint on the local receiver (four member events, two refused, one of those
    // retried from the console) and one an administrator disabled.
    const api = async (method: 'POST' | 'PUT' | 'PATCH' | 'GET', path: string, payload?: object) => {
      const r = await app.inject({ method, url: path, headers: { 'x-api-key': admin.secret }, ...(payload ? { payload } : {}) });
      if (r.statusCode >= 300) throw new Error(`${method} ${path}: ${r.body}`);
      return JSON.parse(r.body);
    };
    const crm = await api('POST', '/v1/webhooks', { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/profile-visitors`, events: ['member.created', 'member.updated'], description: 'CRM sync' });
    await api('POST', '/v1/webhooks', { url: 'https://analytics.example.org/ingest', events: ['member.erased'], description: 'Analytics' });
    for (const [id, name] of [['nadia', 'Nadia Karim'], ['leo', 'Leo Brandt'], ['ines', 'Inès Duarte'], ['maya', 'Maya Chen']]) await api('PUT', `/v1/members/${id}`, { name: name! });
    const settled = async () => {
      for (let i = 0; i < 200 && (await api('GET', `/v1/webhooks/${crm.id}/deliveries`)).deliveries.some((d: { status: string }) => d.status === 'pending'); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await settled();
    await page.goto(`${url}/admin/webhooks`);
    await page.click('#endpoints tr:has-text("analytics.example.org") button:text("Disable")');
    await page.goto(`${url}/admin/webhooks/${crm.id}`);
    await page.click('#deliveries tbody tr:last-child button:text("Retry")');
    await settled();
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      for (const [name, path] of [['webhooks', '/admin/webhooks'], ['webhook-endpoint', `/admin/webhooks/${crm.id}`], ['audit', '/admin/audit']]) {
        await page.goto(`${url}${path}`);
        await page.screenshot({ path: join(OUT, `admin-${name}-1280-${colorScheme}.png`), fullPage: true });
      }
    }
    console.log(`screenshots written to ${OUT}`);
  } finally {
    await context.close();
    await app.close();
    receiver.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
}

await main();
