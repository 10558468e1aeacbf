/**
 * Webhook and live-feed bench (docs/webhooks.md#measured), standalone from `npm run bench`:
 *
 *   npx tsx bench/webhooks.ts [--seconds 60] [--rate 1000] [--feeds 1000] [--database URL]
 *
 * Starts a server process on a fresh SQLite file (or --database), a local receiver answering
 * 204 at once, records `rate` visits per second for `seconds` (batches every 10 ms, each visit
 * counted), and reports the latency from each visit's acknowledgement to its receipt by the
 * receiver (p50/p99/max) and deliveries per second. Then opens `feeds` live-feed connections
 * and reports the server's RSS before and after.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const SECONDS = Number(arg('seconds', '60'));
const RATE = Number(arg('rate', '1000'));
const FEEDS = Number(arg('feeds', '1000'));
const ROOT = new URL('..', import.meta.url).pathname;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

function run(args: string[], env: Record<string, string>) {
  return new Promise<string>((resolve, reject) => {
    const c = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(out))));
  });
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'pv-bench-webhooks-'));
  const env = {
    DATABASE_URL: arg('database', join(dir, 'bench.db')),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '1000000000000',
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    PORT: String(20000 + Math.floor(Math.random() * 20000)),
    HOST: '127.0.0.1',
  };
  const key = /secret \(shown once\): (\S+)/.exec(await run(['keys', 'create', '--workspace', 'bench'], env))![1]!;
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'inherit' });
  const url = `http://127.0.0.1:${env.PORT}`;
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  const headers = { 'x-api-key': key, 'content-type': 'application/json' };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };

  const acked = new Map<string, number>();
  const latencies: number[] = [];
  let received = 0;
  let firstAt = 0;
  let lastAt = 0;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(204).end();
      const now = Date.now();
      const body = JSON.parse(Buffer.concat(chunks).toString());
      // Only the measured visits (the setup batch may be delivered too, if the outbox projection
      // reached it after the endpoint was created).
      if (body.event !== 'profile.visited' || !String(body.data.visitId).startsWith('b-')) return;
      received++;
      firstAt ||= now;
      lastAt = now;
      const at = acked.get(body.data.visitId);
      if (at !== undefined) latencies.push(now - at);
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const rport = (receiver.address() as AddressInfo).port;

  await call('PATCH', '/v1/workspace/settings', { dedupWindowMs: 0 });
  const owners = 100;
  const viewers = 1000;
  await call('POST', '/v1/visits/batch', {
    visits: Array.from({ length: viewers }, (_, i) => ({ profileId: `o${i % owners}`, viewerId: `v${i}`, profile: { plan: 'premium' }, viewer: { name: `Viewer ${i}` } })),
  });
  await call('POST', '/v1/webhooks', { url: `http://127.0.0.1:${rport}/hook`, events: ['profile.visited'] });

  console.log(`recording ${RATE} visits/s for ${SECONDS} s`);
  const perTick = Math.max(1, Math.round(RATE / 100));
  let n = 0;
  const end = Date.now() + SECONDS * 1000;
  const inflight = new Set<Promise<void>>();
  while (Date.now() < end) {
    const tickStart = Date.now();
    const visits = Array.from({ length: perTick }, () => {
      const i = n++;
      return { id: `b-${i}`, profileId: `o${i % owners}`, viewerId: `v${(i * 7) % viewers}`, source: 'search' };
    });
    const p = call('POST', '/v1/visits/batch', { visits }).then(() => {
      const now = Date.now();
      for (const v of visits) acked.set(v.id, now);
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    const wait = 10 - (Date.now() - tickStart);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await Promise.all(inflight);
  const deadline = Date.now() + 60_000;
  while (received < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  const result = {
    recorded: n,
    delivered: received,
    deliveriesPerSec: Math.round(received / Math.max(1, (lastAt - firstAt) / 1000)),
    latencyMs: { p50: q(0.5), p99: q(0.99), max: latencies.at(-1) },
  };
  console.log(JSON.stringify(result));

  const before = rssMb(server.pid!);
  const ctl = new AbortController();
  let open = 0;
  await Promise.all(
    Array.from({ length: FEEDS }, async () => {
      const res = await fetch(`${url}/v1/visits/stream`, { headers: { 'x-api-key': key, accept: 'text/event-stream' }, signal: ctl.signal });
      if (res.ok) open++;
      void (async () => {
        try {
          for await (const _ of res.body as unknown as AsyncIterable<Uint8Array>) void _;
        } catch {}
      })();
    }),
  );
  await call('POST', '/v1/visits/batch', { visits: Array.from({ length: 10 }, (_, i) => ({ profileId: 'o1', viewerId: `v${i + 2}` })) });
  await new Promise((r) => setTimeout(r, 2000));
  console.log(JSON.stringify({ feeds: open, rssBeforeMb: before, rssWithFeedsMb: rssMb(server.pid!) }));
  ctl.abort();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  receiver.close();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
