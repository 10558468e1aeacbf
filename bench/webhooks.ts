/**
 * The `webhooks` and `feed` scenarios of `npm run bench` (docs/webhooks.md, "Measured"). They
 * drive the server themselves rather than through autocannon:
 *
 * - `webhooks`: a local receiver answering 204 at once; visits recorded at `WEBHOOK_RATE` per
 *   second (batches every 10 ms) for the sustained duration (60 s at --scale full); reports the
 *   time from each counted visit's acknowledgement to its receipt (p50/p99/max). A second
 *   endpoint, disabled during that run, gathers the same messages in the outbox; enabling it
 *   afterwards measures deliveries per second with a fast receiver, unbounded by the recording
 *   rate. Both endpoints are deleted at the end, so later scenarios deliver nothing.
 * - `feed`: `FEED_CONNECTIONS` open live-feed connections (GET /v1/visits/stream), a few visits
 *   recorded and seen by every connection, and the server's RSS growth.
 *
 * A message not received within a generous wait is an error (lost), never a timing.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { memberId } from './dataset-shape.js';
import { Rng } from './rng.js';
import { readVmKb } from './server-process.js';
import { cpuSnapshot } from './cpu-load.js';
import type { ScenarioContext } from './scenarios.js';

export const WEBHOOK_RATE = 1_000;
export const FEED_CONNECTIONS = 1_000;
/** Visits are sent in batches this often. */
const TICK_MS = 10;

export interface CustomRun {
  url: string;
  pid: number;
  /** Seconds of the measured run. */
  seconds: number;
}

export interface CustomFigures {
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number } | null;
  visitsPerSec: number | null;
  deliveriesPerSec: number | null;
  feeds?: number;
  rssGrowthMb?: number | null;
  requests: number;
  errors: number;
  note: string | null;
}

interface Receiver {
  url: string;
  /** visit id -> receipt time, per path. */
  got: Map<string, Map<string, number>>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const got = new Map<string, Map<string, number>>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(204).end();
      const at = Date.now();
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { event: string; data: { visitId?: string } };
      if (body.event !== 'profile.visited' || !body.data.visitId) return;
      let m = got.get(req.url!);
      if (!m) got.set(req.url!, (m = new Map()));
      // The first receipt: a retry (at least once) does not move it.
      if (!m.has(body.data.visitId)) m.set(body.data.visitId, at);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    got,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

function api(base: string, key: string) {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(base + path, {
      method,
      headers: { 'x-api-key': key, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

type BatchAnswer = { results: { status: string; visitId?: string }[] };

/** Visits between members drawn by the dataset's law, never a self-view. */
function visitMaker(ctx: ScenarioContext, tag: string) {
  const rng = new Rng(ctx.dataset.shape.seed ^ Date.now(), `req-${tag}`);
  const n = ctx.dataset.shape.members;
  let i = 0;
  return () => {
    const profile = ctx.law.sample(rng);
    let viewer = rng.int(n - 1);
    if (viewer >= profile) viewer++;
    return { id: `${tag}-${i++}`, profileId: memberId(profile), viewerId: memberId(viewer), source: 'search' };
  };
}

function quantiles(values: number[]) {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s.at(-1)!, mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function waitFor(done: () => boolean, maxMs: number): Promise<boolean> {
  const until = Date.now() + maxMs;
  while (!done()) {
    if (Date.now() > until) return false;
    await sleep(50);
  }
  return true;
}

async function waitForAsync(done: () => Promise<boolean>, maxMs: number): Promise<boolean> {
  const until = Date.now() + maxMs;
  while (!(await done())) {
    if (Date.now() > until) return false;
    await sleep(200);
  }
  return true;
}

export async function runWebhooks(ctx: ScenarioContext, run: CustomRun): Promise<CustomFigures> {
  const call = api(run.url, ctx.dataset.adminSecret);
  // A dataset loaded in bulk has no outbox checkpoint: the server first walks the whole log to
  // the head (nothing to write while no endpoint exists). Endpoints created before it gets
  // there would be sent the dataset's past visits.
  const catchUpFrom = Date.now();
  const caughtUp = await waitForAsync(async () => {
    const h = await call<{ projections?: { name: string; lagEntries: number }[] }>('GET', '/healthz?detail=1');
    return (h.projections ?? []).every((p) => p.name !== 'webhooks' || p.lagEntries === 0);
  }, 300_000);
  if (!caughtUp) throw new Error('the webhooks projection did not reach the log head within 300 s');
  const catchUpS = (Date.now() - catchUpFrom) / 1000;
  const receiver = await startReceiver();
  const created: string[] = [];
  try {
    const live = await call<{ id: string }>('POST', '/v1/webhooks', { url: `${receiver.url}/live`, events: ['profile.visited'], description: 'bench: latency' });
    created.push(live.id);
    const later = await call<{ id: string }>('POST', '/v1/webhooks', { url: `${receiver.url}/later`, events: ['profile.visited'], description: 'bench: backlog' });
    created.push(later.id);
    await call('PATCH', `/v1/webhooks/${later.id}`, { enabled: false });

    // Sustained recording: each tick sends what the clock says is due, so timer delays do not lower the rate.
    const next = visitMaker(ctx, `wh${Date.now().toString(36)}`);
    const acked = new Map<string, number>();
    const inflight = new Set<Promise<void>>();
    let sent = 0;
    let requests = 0;
    let errors = 0;
    let firstError: string | null = null;
    const cpuFrom = cpuSnapshot(run.pid);
    const started = Date.now();
    const end = started + run.seconds * 1000;
    for (let tick = 1; Date.now() < end; tick++) {
      const due = Math.floor(((Date.now() - started) / 1000) * WEBHOOK_RATE) - sent;
      if (due > 0) {
        const visits = Array.from({ length: due }, next);
        sent += due;
        requests++;
        const p = call<BatchAnswer>('POST', '/v1/visits/batch', { visits }).then(
          (answer) => {
            const now = Date.now();
            for (const r of answer.results) if (r.status === 'recorded' && r.visitId) acked.set(r.visitId, now);
          },
          (err: Error) => {
            errors++;
            firstError ??= err.message;
          },
        );
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
      }
      await sleep(Math.max(0, started + tick * TICK_MS - Date.now()));
    }
    await Promise.all(inflight);
    const recordedFor = (Date.now() - started) / 1000;
    const counted = acked.size;
    const waitMs = Math.max(60_000, run.seconds * 2000);
    const got = (path: string) => receiver.got.get(path) ?? new Map<string, number>();
    const countIn = (path: string) => [...acked.keys()].filter((id) => got(path).has(id)).length;
    await waitFor(() => got('/live').size >= counted && countIn('/live') === counted, waitMs);
    const liveGot = got('/live');
    const cpuLive = cpuSnapshot(run.pid);
    // A receipt can come before the bench reads the acknowledgement: it counts as zero.
    const latencies = [...acked].flatMap(([id, at]) => (liveGot.has(id) ? [Math.max(0, liveGot.get(id)! - at)] : []));
    const lostLive = counted - latencies.length;

    // The backlog: every counted visit waits for the disabled endpoint; enabling it lets the worker drain it at full speed.
    await waitFor(() => false, 500);
    const drainFrom = Date.now();
    await call('PATCH', `/v1/webhooks/${later.id}`, { enabled: true });
    await waitFor(() => countIn('/later') === counted, waitMs);
    const laterTimes = [...acked.keys()].flatMap((id) => (got('/later').has(id) ? [got('/later').get(id)!] : []));
    const lostLater = counted - laterTimes.length;
    const drainS = laterTimes.length ? (Math.max(...laterTimes) - drainFrom) / 1000 : 0;
    const cpuDrained = cpuSnapshot(run.pid);
    // Server CPU time per message: a figure the load of other processes on the machine moves far less than timings.
    const cpuMs = (a: typeof cpuFrom, b: typeof cpuFrom, n: number) => (n > 0 ? (((b.serverTicks - a.serverTicks) / 100) * 1000) / n : 0);

    const lost = lostLive + lostLater;
    const notes = [
      `${counted.toLocaleString('en-US')} counted visits in ${recordedFor.toFixed(1)} s; acknowledgement to receipt on a live endpoint; deliveries/s draining the same messages to a second endpoint enabled afterwards`,
      `webhooks projection at the log head ${catchUpS.toFixed(1)} s after the start`,
      `server CPU ${cpuMs(cpuFrom, cpuLive, counted).toFixed(2)} ms per visit recorded and delivered, ${cpuMs(cpuLive, cpuDrained, laterTimes.length).toFixed(2)} ms per delivery draining`,
      ...(lost ? [`${lost} messages not received within ${waitMs / 1000} s`] : []),
      ...(firstError ? [`recording failed: ${firstError}`] : []),
    ];
    return {
      latencyMs: quantiles(latencies),
      visitsPerSec: counted / recordedFor,
      deliveriesPerSec: drainS > 0 ? laterTimes.length / drainS : null,
      requests,
      errors: errors + (lost > 0 ? 1 : 0),
      note: notes.join('; '),
    };
  } finally {
    for (const id of created) await call('DELETE', `/v1/webhooks/${id}`).catch(() => undefined);
    await receiver.close();
  }
}

const rssMb = (pid: number) => (readVmKb(pid, 'VmRSS') ?? 0) / 1024;

export async function runFeed(ctx: ScenarioContext, run: CustomRun, connections = FEED_CONNECTIONS): Promise<CustomFigures> {
  const call = api(run.url, ctx.dataset.adminSecret);
  const target = new URL('/v1/visits/stream', run.url);
  const before = rssMb(run.pid);
  const open: IncomingMessage[] = [];
  const events: number[] = [];
  let failed = 0;
  await Promise.all(
    Array.from(
      { length: connections },
      (_, i) =>
        new Promise<void>((resolve) => {
          events[i] = 0;
          const req = request(target, { headers: { 'x-api-key': ctx.dataset.adminSecret, accept: 'text/event-stream' } }, (res) => {
            if (res.statusCode !== 200) {
              failed++;
              res.resume();
              return resolve();
            }
            open.push(res);
            res.setEncoding('utf8');
            // Events counted by their `id:` lines; a line may be split across chunks.
            let carry = '';
            res.on('data', (chunk: string) => {
              const lines = (carry + chunk).split('\n');
              carry = lines.pop()!;
              for (const line of lines) if (line.startsWith('id:')) events[i]!++;
            });
            res.on('error', () => undefined);
            resolve();
          });
          req.on('error', () => {
            failed++;
            resolve();
          });
          req.end();
        }),
    ),
  );
  const opened = rssMb(run.pid);
  const next = visitMaker(ctx, `feed${Date.now().toString(36)}`);
  const answer = await call<BatchAnswer>('POST', '/v1/visits/batch', { visits: Array.from({ length: 10 }, next) });
  const counted = answer.results.filter((r) => r.status === 'recorded').length;
  const delivered = await waitFor(() => open.every((_, i) => events[i]! >= counted), 30_000);
  const after = rssMb(run.pid);
  for (const res of open) res.destroy();
  const notes = [
    `${open.length} connections open; RSS ${Math.round(before)} MB before, ${Math.round(opened)} MB with them open, ${Math.round(after)} MB after ${counted} visits reached each (${(((after - before) * 1024) / Math.max(1, open.length)).toFixed(0)} KB per connection)`,
    ...(failed ? [`${failed} connections refused`] : []),
    ...(!delivered ? ['some connections did not receive every visit within 30 s'] : []),
  ];
  return {
    latencyMs: null,
    visitsPerSec: null,
    deliveriesPerSec: null,
    feeds: open.length,
    rssGrowthMb: after - before,
    requests: connections + 1,
    errors: failed + (delivered ? 0 : 1),
    note: notes.join('; '),
  };
}
