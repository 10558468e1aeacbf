/**
 * The visit log and its projections (docs/visit-log.md), on every backend: the log's order and
 * uniqueness, every projection through the shared harness (test/support/projection-harness.ts),
 * a projection that fails on an entry, and a server SIGKILLed while its projections work.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProjectionRunner, mergeView, type RecordOutcome, type Store } from '../src/core/index.js';
import { openStore } from '../src/storage/open-store.js';
import { BACKENDS, dropPostgresDatabase, testStoreConfig, type TestBackend } from './support/backends.js';
import { FROM_SOURCES, REPO_ROOT, freePort, killServers, runCli, secretFrom, startServerProcess } from './support/processes.js';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  applyInOrder,
  catchUp,
  insightsCase,
  profileCountsCase,
  profileCountsProjection,
  projectionCases,
  rebuildProjection,
  summaryCase,
  visitMix,
  wholeLog,
} from './support/projection-harness.js';

const T = { timeout: 120_000 };
const WINDOW_MS = 60_000;
const T0 = Date.UTC(2026, 0, 1);

async function cleanUp(backend: TestBackend, url: string): Promise<void> {
  if (backend.name === 'postgres') await dropPostgresDatabase(url);
  else rmSync(dirname(url), { recursive: true, force: true });
}

describe.each(BACKENDS)('the visit log and its projections on $name', (backend) => {
  let store: Store;
  let url: string;
  const recorded: { ws: string; outcome: RecordOutcome }[] = [];

  beforeAll(async () => {
    url = await backend.freshUrl();
    store = await openStore(testStoreConfig(url));
    await store.workspaces.ensure('ws-a', 'A');
    await store.workspaces.ensure('ws-b', 'B');
    // Concurrent calls, as concurrent requests make them (group commits, row locks).
    const mix = visitMix(7, 1_500, T0);
    const answers = await Promise.all(mix.map((m) => store.visits.record(m.ws, m.visits, WINDOW_MS)));
    answers.forEach((outcomes, i) => outcomes.forEach((outcome) => recorded.push({ ws: mix[i]!.ws, outcome })));
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    if (url) await cleanUp(backend, url);
  });

  it('holds every counted visit once, positions strictly increasing per workspace, nothing for repeats and replays', T, async () => {
    const log = await wholeLog(store);
    const counted = recorded.filter((r) => r.outcome.status === 'recorded');
    expect(recorded.some((r) => r.outcome.status === 'deduplicated')).toBe(true);
    expect(recorded.some((r) => r.outcome.status === 'replayed')).toBe(true);
    expect(log).toHaveLength(counted.length);
    for (const ws of ['ws-a', 'ws-b']) {
      const positions = log.filter((e) => e.workspaceId === ws).map((e) => e.position);
      for (let i = 1; i < positions.length; i++) expect(positions[i]!).toBeGreaterThan(positions[i - 1]!);
      const ids = log.filter((e) => e.workspaceId === ws).map((e) => e.visitId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort()).toEqual(counted.filter((r) => r.ws === ws).map((r) => r.outcome.visitId).sort());
    }
    const heads = await store.visitLog.heads();
    expect(heads.map((h) => h.workspaceId).sort()).toEqual(['ws-a', 'ws-b']);
    for (const h of heads) expect(h.position).toBe(Math.max(...log.filter((e) => e.workspaceId === h.workspaceId).map((e) => e.position)));
  });

  describe.each(projectionCases)('projection $name', (c) => {
    it('replayed from zero builds what it built live', T, async () => {
      const p = await c.of(store);
      await catchUp(store, p);
      const live = await c.snapshot(store);
      await p.reset();
      await applyInOrder(p, await wholeLog(store), 37);
      await catchUp(store, p);
      expect(await c.snapshot(store)).toEqual(live);
    });

    it('applying every entry twice changes nothing', T, async () => {
      const p = await c.of(store);
      await catchUp(store, p);
      const before = await c.snapshot(store);
      const log = await wholeLog(store);
      await applyInOrder(p, log, 100);
      await applyInOrder(p, log, 7);
      expect(await c.snapshot(store)).toEqual(before);
    });

    it('stopped half-way and redone from an older batch, it ends exactly where a full replay does', T, async () => {
      const p = await c.of(store);
      await catchUp(store, p);
      const before = await c.snapshot(store);
      const log = await wholeLog(store);
      const sorted = [...log].sort((a, b) => a.position - b.position);
      await p.reset();
      await applyInOrder(p, sorted.slice(0, sorted.length / 2), 50);
      // A process that died after reading a batch and a new one reading from an older point.
      await applyInOrder(p, sorted.slice(sorted.length / 4, (3 * sorted.length) / 4), 13);
      await applyInOrder(p, sorted, 200);
      await catchUp(store, p);
      expect(await c.snapshot(store)).toEqual(before);
    });

    it('matches a from-scratch rebuild', T, async () => {
      const p = await c.of(store);
      await catchUp(store, p);
      const before = await c.snapshot(store);
      await rebuildProjection(store.visitLog, p);
      await catchUp(store, p);
      expect(await c.snapshot(store)).toEqual(before);
    });
  });

  it('a projection that throws stops at that entry, reports it, never skips it, and resumes after a restart', T, async () => {
    const log = (await wholeLog(store)).filter((e) => e.workspaceId === 'ws-a');
    const bad = log[Math.floor(log.length / 2)]!;
    const failing = profileCountsProjection(store, (e) => e.workspaceId === 'ws-a' && e.position === bad.position);
    await failing.reset();
    const failures: unknown[] = [];
    const runner = new ProjectionRunner(store.visitLog, [failing], { batch: 100, onFailure: (f) => failures.push(f) });
    await runner.runOnce();
    expect(runner.failures()).toEqual([expect.objectContaining({ projection: 'test-profile-counts', workspaceId: 'ws-a', position: bad.position })]);
    expect(failures).toHaveLength(1);
    const before = log.filter((e) => e.position < bad.position);
    expect(await failing.checkpoint('ws-a')).toBe(before.at(-1)!.position);
    // Stopped: this runner leaves it there.
    await runner.runOnce();
    expect(await failing.checkpoint('ws-a')).toBe(before.at(-1)!.position);
    const counted = (await profileCountsCase.snapshot(store)) as { workspace_id: string; n: number }[];
    expect(counted.filter((r) => r.workspace_id === 'ws-a').reduce((n, r) => n + Number(r.n), 0)).toBe(before.length);
    // A restart with the same bug stops at the same entry again.
    const again = new ProjectionRunner(store.visitLog, [failing], { batch: 100 });
    await again.runOnce();
    expect(again.failures()[0]?.position).toBe(bad.position);
    // A restart once fixed resumes from that very entry.
    const fixed = profileCountsProjection(store);
    await new ProjectionRunner(store.visitLog, [fixed]).runOnce();
    expect(await fixed.checkpoint('ws-a')).toBe(log.at(-1)!.position);
    const after = (await profileCountsCase.snapshot(store)) as { workspace_id: string; n: number }[];
    expect(after.filter((r) => r.workspace_id === 'ws-a').reduce((n, r) => n + Number(r.n), 0)).toBe(log.length);
  });

  it('lets requests in between batches while it applies a backlog', T, async () => {
    const p = profileCountsProjection(store);
    await p.reset();
    const backlog = (await wholeLog(store)).length;
    expect(backlog).toBeGreaterThan(50);
    // Stands for requests arriving meanwhile: each turn of the event loop counts one.
    let turns = 0;
    let done = false;
    const turn = () => {
      turns++;
      if (!done) setImmediate(turn);
    };
    setImmediate(turn);
    const applied = await new ProjectionRunner(store.visitLog, [p], { batch: 10 }).runOnce();
    done = true;
    expect(applied).toBe(backlog);
    // At least one turn a batch: the backlog is not applied in one turn of the event loop.
    expect(turns).toBeGreaterThanOrEqual(Math.floor(backlog / 10));
  });

  // The runner reads a batch, then applies it in a transaction of its own: an erase may come in
  // between. What it applies must leave the erased member out, as the log now does.
  describe.each([profileCountsCase, insightsCase])('projection $name', (c) => {
    it('entries read before an erase and applied after it leave the erased member out: it builds what a rebuild from the log builds', T, async () => {
      const ws = `ws-erase-${c.name}`;
      const victim = `gone-${c.name}`;
      await store.workspaces.ensure(ws, ws);
      await store.members.upsert(ws, ['owner', 'other', victim].map((id) => ({ id, name: id })), 'replace', T0);
      const visit = (profileId: string, viewerId: string, viewedAt: number) => ({ clientId: null, profileId, viewerId, viewedAt, source: 'search' as const });
      const p = await c.of(store);
      await catchUp(store, p);
      await store.visits.record(ws, [visit('owner', victim, T0), visit('owner', 'other', T0 + 1), visit(victim, 'owner', T0 + 2)], WINDOW_MS);
      const read = await store.visitLog.read(ws, await p.checkpoint(ws), 100);
      expect(read).toHaveLength(3);
      expect(await store.members.erase(ws, victim, T0 + 3)).toBe(true);
      await p.apply(ws, read);
      expect(await p.checkpoint(ws)).toBe(read.at(-1)!.position);
      const built = await c.snapshot(store);
      expect(JSON.stringify(built)).toContain(ws);
      expect(JSON.stringify(built)).not.toContain(victim);
      await rebuildProjection(store.visitLog, p);
      await catchUp(store, p);
      expect(await c.snapshot(store)).toEqual(built);
    });
  });
});

describe.each(BACKENDS)('a process SIGKILLed while the runner applies a projection on $name', (backend) => {
  it('leaves it at a checkpoint from which a restart ends exactly where a rebuild does', T, async () => {
    const url = await backend.freshUrl();
    let store = await openStore(testStoreConfig(url));
    let child: ChildProcess | undefined;
    try {
      await store.workspaces.ensure('ws-a', 'A');
      await store.workspaces.ensure('ws-b', 'B');
      for (const m of visitMix(11, 1_200, Date.now() - 30 * 86_400_000)) await store.visits.record(m.ws, m.visits, 60_000);
      const log = await wholeLog(store);
      await store.close();
      const proc = spawn(process.execPath, [...FROM_SOURCES.slice(0, 2), 'test/support/projection-child.ts', url], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      const exited = new Promise((r) => proc.once('exit', r));
      let out = '';
      proc.stdout.on('data', (d) => (out += d));
      proc.stderr.on('data', (d) => (out += d));
      store = await openStore(testStoreConfig(url));
      const p = profileCountsProjection(store);
      // Killed once it is part-way through, and again later (it starts over when caught up).
      for (let k = 0; k < 2; k++) {
        for (let tries = 0; ; tries++) {
          store.beginRequest?.();
          const at = await p.checkpoint('ws-a').catch(() => 0);
          if (at > 0 && at < log.filter((e) => e.workspaceId === 'ws-a').at(-1)!.position) break;
          expect(tries, out).toBeLessThan(1_200);
          await new Promise((r) => setTimeout(r, 25));
        }
        if (k === 0) await new Promise((r) => setTimeout(r, 30));
      }
      proc.kill('SIGKILL');
      await exited;
      store.beginRequest?.();
      await catchUp(store, p);
      const afterCrash = await profileCountsCase.snapshot(store);
      const total = (afterCrash as { n: number }[]).reduce((n, r) => n + Number(r.n), 0);
      expect(total).toBe(log.length);
      await rebuildProjection(store.visitLog, p);
      expect(await profileCountsCase.snapshot(store)).toEqual(afterCrash);
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await store.close();
      await cleanUp(backend, url);
    }
  });
});

describe.each(BACKENDS)('a server SIGKILLed while recording and projecting on $name', (backend) => {
  afterEach(() => killServers());

  it('after a restart every acknowledged visit is in the log and in every projection exactly once', T, async () => {
    const url = await backend.freshUrl();
    try {
      const env = { DATABASE_URL: url, LOG_LEVEL: 'warn' };
      const key = await runCli(['keys', 'create', '--workspace', 'acme'], env);
      expect(key.code).toBe(0);
      const headers = { 'x-api-key': secretFrom(key.stdout), 'content-type': 'application/json' };
      let server = await startServerProcess({ ...env, PORT: String(await freePort()) });
      for (let i = 0; i < 30; i++) {
        const put = await fetch(`${server.url}/v1/members/m${i}`, { method: 'PUT', headers, body: JSON.stringify({ name: `M${i}`, plan: 'premium' }) });
        expect(put.status).toBeLessThan(300);
      }
      const acknowledged: string[] = [];
      const batch = (b: number) =>
        fetch(`${server.url}/v1/visits/batch`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            visits: Array.from({ length: 250 }, (_, k) => ({
              profileId: `m${(b + k) % 30}`,
              viewerId: `m${(b * 7 + k * 3 + 1) % 30}`,
              viewedAt: Date.now() - (b * 250 + k) * 600_000,
              source: 'search',
            })),
          }),
        }).then(async (r) => {
          const body = (await r.json()) as { results: { status: string; visitId?: string }[] };
          for (const x of body.results) if (x.status === 'recorded') acknowledged.push(x.visitId!);
        });
      const single = (i: number) =>
        fetch(`${server.url}/v1/visits`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ profileId: `m${i % 30}`, viewerId: `m${(i + 1) % 30}`, id: `single-${i}`, source: 'feed' }),
        }).then(async (r) => {
          const body = (await r.json()) as { status: string; visitId: string };
          if (body.status === 'recorded') acknowledged.push(body.visitId);
        });
      await Promise.all([...Array.from({ length: 16 }, (_, b) => batch(b)), ...Array.from({ length: 60 }, (_, i) => single(i))]);
      expect(acknowledged.length).toBeGreaterThan(3_000);
      // At once, while the fold (SQLite) may be mid-batch.
      server.child.kill('SIGKILL');
      await server.exited;
      server = await startServerProcess({ ...env, PORT: String(await freePort()) });
      // Lag reaches zero, as the admin's health detail says.
      for (let tries = 0; ; tries++) {
        const res = await fetch(`${server.url}/healthz?detail=1`, { headers });
        const body = (await res.json()) as { projections: { name: string; lagEntries: number; head: number; position: number }[] };
        expect(res.status).toBe(200);
        const summary = body.projections.find((p) => p.name === 'summary')!;
        if (summary.lagEntries === 0) {
          expect(summary.head).toBeGreaterThan(0);
          break;
        }
        expect(tries).toBeLessThan(600);
        await new Promise((r) => setTimeout(r, 100));
      }
      server.child.kill('SIGTERM');
      await server.exited;
      const store = await openStore(testStoreConfig(url));
      try {
        const log = await wholeLog(store);
        expect(log.map((e) => e.visitId).sort()).toEqual([...acknowledged].sort());
        const p = await summaryCase.of(store);
        await catchUp(store, p);
        const afterCrash = await summaryCase.snapshot(store);
        await rebuildProjection(store.visitLog, p);
        expect(await summaryCase.snapshot(store)).toEqual(afterCrash);
        const summary = (afterCrash as { summary: { view_count: number }[] }).summary;
        expect(summary.reduce((n, r) => n + Number(r.view_count), 0)).toBe(acknowledged.length);
      } finally {
        await store.close();
      }
    } finally {
      await killServers();
      await cleanUp(backend, url);
    }
  });
});

describe('the summary merge (src/core/rules/summary-merge.ts)', () => {
  it('counts, keeps the earliest first view and the latest last view, a tie going to the visit recorded later', () => {
    let s = mergeView(null, 2_000, 'search');
    expect(s).toEqual({ count: 1, first: 2_000, last: 2_000, lastSource: 'search' });
    s = mergeView(s, 1_000, 'feed');
    expect(s).toEqual({ count: 2, first: 1_000, last: 2_000, lastSource: 'search' });
    s = mergeView(s, 2_000, 'profile');
    expect(s).toEqual({ count: 3, first: 1_000, last: 2_000, lastSource: 'profile' });
    s = mergeView(s, 3_000, 'other');
    expect(s).toEqual({ count: 4, first: 1_000, last: 3_000, lastSource: 'other' });
  });
});
