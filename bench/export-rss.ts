/**
 * Peak memory of a member's export at a chosen size (docs/privacy-controls.md, "Export"): seeds
 * a SQLite file with one member viewed by N distinct viewers (and viewing M profiles), starts a
 * real server on it, streams `GET /v1/members/:id/export?format=ndjson` (export-stream.ts, as
 * the bench's `export-celebrity` scenario does on the bench dataset) and reports the server's
 * RSS before and its peak (VmHWM) after, with the export's size and time.
 *
 *   node --import tsx bench/export-rss.ts [viewers=100000] [viewed=20000] [keep.db]
 *
 * With a third argument the seeded file is kept there and reused by the next run of the same
 * path (seeding a million viewers takes minutes). BENCH_NODE_ARGS is passed to the server's
 * node (e.g. `--max-old-space-size=80`); the server's other settings come from the environment
 * (READ_CACHE_MB...). EXPORT_RSS_DURING=1 records visits to the member (repeat viewers and
 * newcomers) while the export runs, and says whether it still held exactly the viewers it began
 * with.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey, ensureWorkspace, systemClock, type AcceptedVisit } from '../src/core/index.js';
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { foldPending } from '../src/storage/sqlite/fold.js';
import { measureExport } from './export-stream.js';

const VIEWERS = Number(process.argv[2] ?? 100_000);
const VIEWED = Number(process.argv[3] ?? 20_000);
const KEEP = process.argv[4];
const dir = mkdtempSync(join(tmpdir(), 'pv-export-rss-'));
const db = KEEP ?? join(dir, 'export.db');

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
    // Folded as it goes: with folding held back, recording would wait once MAX_PENDING visits are pending.
    while (foldPending(store.raw, 20_000) > 0);
    if (i % 100_000 === 0) console.error(`seeded ${i.toLocaleString('en-US')} of ${Math.max(VIEWERS, VIEWED).toLocaleString('en-US')}`);
  }
  const { secret } = await createApiKey(deps, ws, { role: 'admin' });
  await store.close();
  return secret;
}

async function main() {
  const started = Date.now();
  // The key of a kept file is kept beside it.
  const keyFile = `${db}.key`;
  const reused = KEEP !== undefined && existsSync(keyFile);
  const key = reused ? readFileSync(keyFile, 'utf8') : await seed();
  if (KEEP && !reused) writeFileSync(keyFile, key);
  const seedSeconds = (Date.now() - started) / 1000;
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const server = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/cli/main.ts', 'serve'], {
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
    const url = `http://127.0.0.1:${port}`;
    // EXPORT_RSS_DURING=1: visits to the member are recorded while the export runs (viewers
    // viewing again, newcomers); the export must still hold exactly the viewers it began with.
    let exporting = true;
    let recordedDuring = 0;
    const during = async () => {
      await new Promise((r) => setTimeout(r, 300));
      for (let round = 0; exporting; round++) {
        const visits = Array.from({ length: 200 }, (_, k) =>
          k % 4 === 3
            ? { profileId: 'celebrity', viewerId: `new${round}-${k}`, viewer: { name: `Newcomer ${round}-${k}` } }
            : { profileId: 'celebrity', viewerId: `m${Math.floor(Math.random() * VIEWERS)}` },
        );
        const res = await fetch(`${url}/v1/visits/batch`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ visits }) });
        recordedDuring += ((await res.json()) as { recorded: number }).recorded;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const writer = process.env.EXPORT_RSS_DURING === '1' ? during() : Promise.resolve();
    const m = await measureExport(url, server.pid!, key, 'celebrity').finally(() => (exporting = false));
    await writer;
    console.log(
      JSON.stringify({
        viewers: VIEWERS,
        viewed: VIEWED,
        seeded: reused ? 'reused' : `${seedSeconds} s`,
        status: m.status,
        viewerLines: m.viewers,
        viewedLines: m.viewed,
        mb: +(m.bytes / 1048576).toFixed(1),
        seconds: +m.seconds.toFixed(1),
        rssBeforeMb: m.rssBeforeMb && +m.rssBeforeMb.toFixed(1),
        peakRssMb: m.peakRssMb && +m.peakRssMb.toFixed(1),
        ...(process.env.EXPORT_RSS_DURING === '1' ? { recordedDuring, exactlyTheViewersAtStart: m.viewers === VIEWERS } : {}),
      }),
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
