/**
 * Peak memory of a member's export (docs/privacy-controls.md, "Export"): seeds a SQLite file
 * with one member viewed by N distinct viewers (and viewing M profiles), starts a real server
 * on it, streams `GET /v1/members/:id/export?format=ndjson` and reports the server's RSS before
 * and its peak (VmHWM) after, with the export's size and time.
 *
 *   node --import tsx bench/export-rss.ts [viewers=100000] [viewed=20000]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey, ensureWorkspace, systemClock, type AcceptedVisit } from '../src/core/index.js';
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { foldPending } from '../src/storage/sqlite/fold.js';

const VIEWERS = Number(process.argv[2] ?? 100_000);
const VIEWED = Number(process.argv[3] ?? 20_000);
const dir = mkdtempSync(join(tmpdir(), 'pv-export-rss-'));
const db = join(dir, 'export.db');

const status = (pid: number, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function seed(): Promise<string> {
  // Folded here, before the server starts: its fold thread must not be busy during the export.
  const store = openSqliteStore({ path: db, synchronous: 'normal', migrate: true, fold: 'manual', readCacheBytes: 0 });
  const deps = { store, clock: systemClock };
  const ws = await ensureWorkspace(deps, 'rss');
  const now = Date.now();
  await store.members.upsert('rss', [{ id: 'celebrity', name: 'Celebrity', plan: 'premium' }], 'replace', now);
  for (let i = 0; i < Math.max(VIEWERS, VIEWED); i += 5_000) {
    const ids = Array.from({ length: Math.min(5_000, Math.max(VIEWERS, VIEWED) - i) }, (_, k) => `m${i + k}`);
    await store.members.upsert('rss', ids.map((id) => ({ id, name: `Member ${id}`, company: `Company ${id}` })), 'replace', now);
    const visits: AcceptedVisit[] = [];
    ids.forEach((id, k) => {
      const n = i + k;
      if (n < VIEWERS) visits.push({ clientId: null, profileId: 'celebrity', viewerId: id, viewedAt: now - n * 1000, source: 'search' });
      if (n < VIEWED) visits.push({ clientId: null, profileId: id, viewerId: 'celebrity', viewedAt: now - n * 1000, source: 'profile' });
    });
    await store.visits.record('rss', visits, 0);
  }
  while (foldPending(store.raw, 20_000) > 0);
  const { secret } = await createApiKey(deps, ws, { role: 'admin' });
  await store.close();
  return secret;
}

async function main() {
  const key = await seed();
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    env: { ...process.env, DATABASE_URL: db, PORT: String(port), LOG_LEVEL: 'warn', PURGE_INTERVAL_MS: '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
      } catch {
        if (i > 300) throw new Error('server did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // One small request first, so the routes' schemas are compiled before the baseline.
    await fetch(`http://127.0.0.1:${port}/v1/members/celebrity`, { headers: { 'x-api-key': key } });
    const before = status(server.pid!, 'VmRSS');
    const start = Date.now();
    const res = await fetch(`http://127.0.0.1:${port}/v1/members/celebrity/export?format=ndjson`, { headers: { 'x-api-key': key } });
    let bytes = 0;
    let lines = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      for (const b of chunk) if (b === 10) lines++;
    }
    const ms = Date.now() - start;
    console.log(
      JSON.stringify({ viewers: VIEWERS, viewed: VIEWED, status: res.status, lines, mb: +(bytes / 1048576).toFixed(1), seconds: ms / 1000, rssBeforeMb: +before.toFixed(1), peakRssMb: +status(server.pid!, 'VmHWM').toFixed(1) }),
    );
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
