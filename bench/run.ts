/**
 * `npm run bench`: dataset, then each scenario against a freshly started server process (the
 * hello-world baseline first and again last),
 * then the report. Exits non-zero only on errors or non-2xx answers (or a server that fails),
 * never on timings, so CI can run `--scale small` as a smoke test.
 */
import { ArgsError, parseArgs, type BenchArgs } from './args.js';
import { ensureDataset, type Dataset } from './dataset.js';
import { OwnerLaw } from './dataset-shape.js';
import { drive } from './load.js';
import { BASELINE_MAIN, SERVER_MAIN } from './paths.js';
import { codeVersion, machine, printTable, updateDocs, writeJson, type RunReport, type ScenarioResult } from './report.js';
import { BENCH_PAGES_SECRET, SCENARIOS, type Scenario, type ScenarioContext } from './scenarios.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { evaluateTargets } from './targets.js';
import { openVisitCounter, type VisitMark } from './stored-visits.js';
import { cpuSnapshot, cpuUse, waitForQuiet } from './cpu-load.js';
import { POSTGRES_READY } from '../src/storage/postgres/postgres-store.js';

const SERVER_ENV = {
  LOG_LEVEL: 'warn',
  RATE_LIMIT_MAX: '1000000000000',
  SQLITE_SYNCHRONOUS: process.env.BENCH_SQLITE_SYNCHRONOUS ?? 'normal',
  WORKERS: process.env.BENCH_WORKERS ?? '1',
  PAGES_SECRET: BENCH_PAGES_SECRET,
};

function emptyResult(s: Scenario, note: string, available = false): ScenarioResult {
  return {
    id: s.id,
    title: s.title,
    server: s.server,
    available,
    note,
    rps: null,
    ratio: null,
    visitsPerSec: null,
    storedPerSec: null,
    foldedPerSec: null,
    latencyMs: null,
    requests: null,
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    statusCodes: {},
    peakRssMb: null,
    coldStartMs: null,
    cpuCores: null,
  };
}

/** One request before the load: a route that does not exist yet makes an optional scenario "not available". */
const PROBE_TIMEOUT_MS = 30_000;

async function probe(server: ServerProcess, s: Scenario, next: ReturnType<Scenario['requests']>): Promise<{ skip?: string; fail?: string; slow?: string }> {
  const spec = next();
  let res: Response;
  try {
    res = await fetch(server.url + spec.path, {
      method: spec.method,
      headers: { ...(spec.body !== undefined ? { 'content-type': 'application/json' } : {}), ...spec.headers },
      body: spec.body,
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return { slow: `a single request was not answered within ${PROBE_TIMEOUT_MS / 1000} s; load not run` };
    throw err;
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  if (res.status === 404 && s.optional && /no route/i.test(text)) return { skip: 'not available (route answers 404)' };
  if (res.status < 200 || res.status > 299) return { fail: `probe ${spec.method} ${spec.path.split('?')[0]} answered ${res.status}: ${text.slice(0, 300)}` };
  const problem = s.check?.(body);
  if (problem) return { fail: `probe: ${problem}` };
  return {};
}

/** A scenario of one long request (`Scenario.once`): its cost, no load. */
async function runOnce(s: Scenario, ctx: ScenarioContext, server: ServerProcess): Promise<ScenarioResult> {
  const before = cpuSnapshot(server.pid);
  const m = await s.once!(ctx, server);
  const cpu = cpuUse(before, cpuSnapshot(server.pid));
  if (m.status === 404 && s.optional) return { ...emptyResult(s, 'not available (route answers 404)'), coldStartMs: server.coldStartMs };
  const ok = m.status >= 200 && m.status <= 299;
  return {
    ...emptyResult(s, '', true),
    coldStartMs: server.coldStartMs,
    note: ok ? null : `answered ${m.status}`,
    requests: 1,
    non2xx: ok ? 0 : 1,
    statusCodes: { [String(m.status)]: 1 },
    cpuCores: cpu,
    peakRssMb: server.peakRssMb() ?? m.peakRssMb,
    once: { seconds: m.seconds, bytes: m.bytes, rows: m.viewers, viewed: m.viewed, lines: m.lines, rssBeforeMb: m.rssBeforeMb },
  };
}

async function runScenario(args: BenchArgs, s: Scenario, ctx: ScenarioContext, databaseUrl: string, baselineRps: number | null): Promise<ScenarioResult> {
  const nodeArgs = s.server === 'app' && process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(/\s+/).filter(Boolean) : [];
  const server =
    s.server === 'baseline'
      ? await startServerProcess({ name: 'baseline server', script: BASELINE_MAIN })
      : await startServerProcess({ name: 'profile-visitors server', script: SERVER_MAIN, args: ['serve'], env: { ...SERVER_ENV, ...s.env, DATABASE_URL: databaseUrl }, nodeArgs });
  try {
    if (s.custom) return await runCustom(args, s, ctx, server);
    if (s.once) return await runOnce(s, ctx, server);
    const next = s.requests(ctx);
    const p = await probe(server, s, next);
    if (p.skip) return { ...emptyResult(s, p.skip), coldStartMs: s.server === 'app' ? server.coldStartMs : null };
    if (p.fail) return { ...emptyResult(s, p.fail, true), errors: 1 };
    if (p.slow) return { ...emptyResult(s, p.slow, true), rps: 0, ratio: 0, timeouts: 1, coldStartMs: server.coldStartMs, peakRssMb: server.peakRssMb() };
    let before = cpuSnapshot(server.pid);
    const counter = s.itemsPerRequest && s.server === 'app' ? await openVisitCounter(databaseUrl) : null;
    let storedFrom: Promise<VisitMark> | null = null;
    const r = await drive({
      url: server.url,
      connections: args.connections,
      duration: s.sustained ? args.sustainedDuration : args.duration,
      warmup: args.warmup,
      next,
      onMeasureStart: () => {
        before = cpuSnapshot(server.pid);
        storedFrom = counter?.mark() ?? null;
      },
    });
    const cpu = cpuUse(before, cpuSnapshot(server.pid));
    // Set in the callback above, which TypeScript cannot see.
    const fromMark = storedFrom as Promise<VisitMark> | null;
    const [from, to]: [VisitMark | null, VisitMark | null] = counter && fromMark ? [await fromMark, await counter.mark()] : [null, null];
    const storedPerSec = from && to ? (to.stored - from.stored) / r.durationS : null;
    const foldedPerSec = from && to ? (to.folded - from.folded) / r.durationS : null;
    await counter?.close();
    const peak = server.peakRssMb();
    const completed = r.requests > 0;
    return {
      id: s.id,
      title: s.title,
      server: s.server,
      available: true,
      note: completed ? null : `no answer completed within the ${args.duration} s run`,
      rps: r.rps,
      ratio: baselineRps ? r.rps / baselineRps : null,
      visitsPerSec: s.itemsPerRequest ? r.rps * s.itemsPerRequest : null,
      storedPerSec,
      foldedPerSec,
      ...(s.sustained && to ? { lagEntries: to.lagEntries, lagSeconds: to.lagSeconds } : {}),
      latencyMs: completed ? r.latencyMs : null,
      requests: r.requests,
      cpuCores: cpu,
      errors: r.errors,
      timeouts: r.timeouts,
      non2xx: r.non2xx,
      statusCodes: r.statusCodes,
      peakRssMb: peak,
      coldStartMs: server.coldStartMs,
    };
  } finally {
    await server.stop();
  }
}

/** A scenario that drives the server itself (bench/webhooks.ts): its own figures, the server's CPU and memory. */
async function runCustom(args: BenchArgs, s: Scenario, ctx: ScenarioContext, server: ServerProcess): Promise<ScenarioResult> {
  const before = cpuSnapshot(server.pid);
  const f = await s.custom!(ctx, { url: server.url, pid: server.pid, seconds: s.sustained ? args.sustainedDuration : args.duration });
  return {
    ...emptyResult(s, '', true),
    note: f.note,
    latencyMs: f.latencyMs,
    visitsPerSec: f.visitsPerSec,
    ...(f.feeds !== undefined ? { feeds: f.feeds, rssGrowthMb: f.rssGrowthMb ?? null } : { deliveriesPerSec: f.deliveriesPerSec }),
    requests: f.requests,
    errors: f.errors,
    cpuCores: cpuUse(before, cpuSnapshot(server.pid)),
    peakRssMb: server.peakRssMb(),
    coldStartMs: server.coldStartMs,
  };
}

async function main(): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ArgsError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  if (args.store === 'postgres') {
    if (!POSTGRES_READY) {
      console.error('--store postgres: the PostgreSQL backend is not available in this build yet (POSTGRES_READY is false in src/storage/postgres/postgres-store.ts); nothing was run.');
      return 2;
    }
  }

  const started = Date.now();
  const dataset: Dataset = await ensureDataset(args);
  if (args.buildOnly) return 0;
  const ctx: ScenarioContext = { dataset, law: new OwnerLaw(dataset.shape) };
  const chosen = SCENARIOS.filter((s) => s.kind === 'baseline' || args.only.length === 0 || args.only.some((o) => s.id.includes(o)));
  // Reads first, then writes: the reads see the pristine dataset.
  const order = [...chosen.filter((s) => s.kind !== 'write'), ...chosen.filter((s) => s.kind === 'write')];
  const databaseUrl = await dataset.databaseUrlForRun();

  const results: ScenarioResult[] = [];
  let baselineRps: number | null = null;
  const quietWait = Number(process.env.BENCH_QUIET_WAIT_S ?? (args.scale === 'full' && !args.smoke ? 300 : 5));
  for (const s of order) {
    const q = await waitForQuiet(quietWait);
    if (q.busy >= 0.3) console.log(`(machine still busy with other processes: ${q.busy} cores after waiting ${q.waitedS} s)`);
    process.stdout.write(`${s.id.padEnd(16)} `);
    let r: ScenarioResult;
    try {
      r = await runScenario(args, s, ctx, databaseUrl, baselineRps);
    } catch (err) {
      r = { ...emptyResult(s, `failed: ${(err as Error).message.split('\n')[0]}`, true), errors: 1 };
      console.error(err);
    }
    if (s.kind === 'baseline') baselineRps = r.rps;
    results.push(r);
    printProgress(r);
  }
  // The hello-world again, last: on a shared or virtualized machine it moves from one minute to
  // the next (15,100 to 33,000 req/s within one session on stop 13's host), so the ratios divide
  // by the mean of both measurements rather than by whatever the first minute gave.
  const first = results.find((r) => r.server === 'baseline' && r.available && r.rps !== null);
  let again: ScenarioResult | null = null;
  if (first) {
    await waitForQuiet(quietWait);
    process.stdout.write(`${'baseline again'.padEnd(16)} `);
    again = await runScenario(args, SCENARIOS.find((s) => s.kind === 'baseline')!, ctx, databaseUrl, null).catch(() => null);
    if (again?.available && again.rps !== null) {
      printProgress(again);
      const mean = (first.rps! + again.rps) / 2;
      first.note = `mean of ${Math.round(first.rps!).toLocaleString('en-US')} req/s first and ${Math.round(again.rps).toLocaleString('en-US')} last`;
      first.rps = mean;
      for (const r of results) if (r.server !== 'baseline' && r.rps !== null) r.ratio = r.rps / mean;
    } else console.log('not measured: the ratios use the first baseline alone');
  }
  await dataset.cleanup();

  function printProgress(r: ScenarioResult): void {
    if (r.available && (r.deliveriesPerSec !== undefined || r.feeds !== undefined)) {
      console.log(`${r.deliveriesPerSec !== undefined ? `${Math.round(r.deliveriesPerSec ?? 0)} deliveries/s, p99 ${r.latencyMs?.p99 ?? '–'} ms` : `${r.feeds} connections, RSS +${Math.round(r.rssGrowthMb ?? 0)} MB`}, ${r.errors} errors, peak RSS ${Math.round(r.peakRssMb ?? 0)} MB; ${r.note ?? ''}`);
      return;
    }
    const o = r.once;
    if (o) {
      console.log(
        `${o.rows} viewers + ${o.viewed} viewed, ${(o.bytes / 1048576).toFixed(1)} MB in ${o.seconds.toFixed(1)} s, ${r.non2xx} non-2xx, RSS ${Math.round(o.rssBeforeMb ?? 0)} MB before, peak ${Math.round(r.peakRssMb ?? 0)} MB`,
      );
      return;
    }
    console.log(
      r.available && r.rps !== null
        ? `${Math.round(r.rps)} req/s, p99 ${r.latencyMs?.p99 ?? '–'} ms, ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx, peak RSS ${Math.round(r.peakRssMb ?? 0)} MB, cold start ${Math.round(r.coldStartMs ?? 0)} ms, CPU cores server/bench/other ${r.cpuCores ? `${r.cpuCores.server}/${r.cpuCores.bench}/${r.cpuCores.other}` : '–'}`
        : (r.note ?? ''),
    );
  }

  const failures = [...results, ...(again ? [{ ...again, id: 'baseline (again)' }] : [])]
    .filter((r) => r.available && (r.errors > 0 || r.non2xx > 0))
    .map((r) => `${r.id}: ${r.note ?? `${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx (${JSON.stringify(r.statusCodes)})`}`);
  const report: RunReport = {
    date: new Date(started).toISOString(),
    code: codeVersion(),
    store: args.store,
    scale: args.scale,
    seed: args.seed,
    connections: args.connections,
    warmupS: args.warmup,
    durationS: args.duration,
    smoke: args.smoke,
    machine: machine(),
    server: {
      ...(args.store === 'sqlite' ? { SQLITE_SYNCHRONOUS: SERVER_ENV.SQLITE_SYNCHRONOUS } : { PG_POOL_SIZE: process.env.PG_POOL_SIZE ?? '10' }),
      WORKERS: SERVER_ENV.WORKERS,
    },
    dataset: {
      key: dataset.key,
      reused: dataset.reused,
      generatedAt: new Date(dataset.generatedAt).toISOString(),
      stats: { ...dataset.stats },
    },
    scenarios: results,
    targets: evaluateTargets(results),
    failures,
  };
  printTable(report);
  if (!args.noWrite) {
    const file = writeJson(report, args.writeDocs);
    if (args.writeDocs) {
      updateDocs(report);
      console.log(`wrote ${file} and docs/benchmarks.md`);
    } else console.log(`wrote ${file} (docs/benchmarks.md is rewritten only with --write-docs)`);
  }
  console.log(`total ${Math.round((Date.now() - started) / 1000)} s`);
  if (failures.length) {
    console.error(`FAILED: ${failures.join('; ')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
