/**
 * The run's report: a table on the terminal, a JSON file in bench/results/, and the section of
 * docs/benchmarks.md for this store and scale (between its markers; other sections are kept).
 */
import { cpus, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadResult } from './load.js';
import type { CpuUse } from './cpu-load.js';
import type { TargetOutcome } from './targets.js';
import { REPO_ROOT } from './paths.js';

export interface ScenarioResult {
  id: string;
  title: string;
  server: 'baseline' | 'app';
  available: boolean;
  /** Why the scenario was not measured, or what failed. */
  note: string | null;
  rps: number | null;
  /** rps / baseline rps. */
  ratio: number | null;
  visitsPerSec: number | null;
  /** Visits committed (acknowledged, durable) during the measured run, counted in the database (write scenarios). */
  storedPerSec: number | null;
  /** Visits folded into the summary during the measured run (SQLite folds after acknowledging; PostgreSQL in the same step). */
  foldedPerSec?: number | null;
  /** Sustained scenario: entries of the visit log not yet through every projection when the run ended, and the age of the oldest. */
  lagEntries?: number | null;
  lagSeconds?: number | null;
  latencyMs: LoadResult['latencyMs'] | null;
  requests: number | null;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  peakRssMb: number | null;
  coldStartMs: number | null;
  /** Cores used during the measured run by the server, the bench (autocannon) and other processes. */
  cpuCores: CpuUse | null;
  /** Webhooks scenario: messages received per second by a fast receiver. */
  deliveriesPerSec?: number | null;
  /** Feed scenario: open connections, and the server's RSS growth with them. */
  feeds?: number;
  rssGrowthMb?: number | null;
  /**
   * A scenario of one long request (the celebrity's export): its time, size, viewer rows (and
   * profiles viewed, and lines in all) and the server's RSS just before it; `peakRssMb` is the
   * server's high-water mark after it.
   */
  once?: { seconds: number; bytes: number; rows: number; viewed: number; lines: number; rssBeforeMb: number | null };
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  platform: string;
}

export interface RunReport {
  date: string;
  /** The commit the server was built from; `dirty` when src/ had uncommitted changes (they are in the build). */
  code: { commit: string; dirty: boolean };
  store: string;
  scale: string;
  seed: number;
  connections: number;
  warmupS: number;
  durationS: number;
  smoke: boolean;
  machine: Machine;
  server: Record<string, string>;
  dataset: { key: string; reused: boolean; generatedAt: string; stats: Record<string, number> };
  scenarios: ScenarioResult[];
  targets: TargetOutcome[];
  /** Errors and non-2xx answers only; timings never fail a run. */
  failures: string[];
}

export function codeVersion(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

export function machine(): Machine {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

const int = (v: number | null | undefined) => (v === null || v === undefined ? '–' : Math.round(v).toLocaleString('en-US'));
const ms = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(0));
const pct = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${Math.round(v * 100)}%`);
const verdict = (p: boolean | null) => (p === null ? 'not measured' : p ? 'pass' : '**miss**');

function formatMeasured(t: TargetOutcome): string {
  if (t.measured === null) return '–';
  switch (t.metric) {
    case 'ratio':
      return pct(t.measured);
    case 'visitsPerSec':
      return `${int(t.measured)} visits/s`;
    case 'deliveriesPerSec':
      return `${int(t.measured)} deliveries/s`;
    case 'peakRssMb':
      return `${int(t.measured)} MB`;
    default:
      return `${ms(t.measured)} ms`;
  }
}

/** The req/s cell of a scenario that drives the server itself (webhooks, feed). */
function customRate(r: ScenarioResult): string | null {
  if (r.deliveriesPerSec !== undefined) return `${int(r.deliveriesPerSec)} deliveries/s (${int(r.visitsPerSec)} visits/s recorded)`;
  if (r.feeds !== undefined) return `${int(r.feeds)} connections, RSS +${int(r.rssGrowthMb)} MB`;
  return null;
}

function rowCells(r: ScenarioResult): string[] {
  if (!r.available) return [r.id, r.note ?? 'not available', '', '', '', '', '', '', '', '', r.title];
  if (r.once) {
    const o = r.once;
    const mb = o.bytes / 1048576;
    return [
      r.id,
      `1 request: ${int(o.rows)} viewers + ${int(o.viewed)} viewed, ${mb.toFixed(1)} MB in ${o.seconds.toFixed(1)} s (${int(o.rows / Math.max(o.seconds, 0.001))} rows/s)`,
      '',
      '',
      '',
      '',
      `${r.errors}/${r.timeouts}/${r.non2xx}`,
      `${int(r.peakRssMb)} (${int(o.rssBeforeMb)} before)`,
      r.coldStartMs === null ? '–' : int(r.coldStartMs),
      r.cpuCores ? `${r.cpuCores.server.toFixed(2)}/${r.cpuCores.bench.toFixed(2)}/${r.cpuCores.other.toFixed(2)}` : '–',
      r.note ? `${r.title} (${r.note})` : r.title,
    ];
  }
  const folded = r.foldedPerSec !== null && r.foldedPerSec !== undefined && r.foldedPerSec !== r.storedPerSec ? `, ${int(r.foldedPerSec)} folded/s` : '';
  const lag = r.lagEntries !== null && r.lagEntries !== undefined ? `, lag at end ${int(r.lagEntries)} entries / ${(r.lagSeconds ?? 0).toFixed(1)} s` : '';
  const stored = r.storedPerSec !== null && r.storedPerSec !== undefined ? `; ${int(r.storedPerSec)} stored/s${folded}${lag}` : '';
  const rps =
    r.visitsPerSec !== null && r.visitsPerSec !== r.rps
      ? `${int(r.rps)} (${int(r.visitsPerSec)} visits/s answered${stored})`
      : `${int(r.rps)}${stored ? ` (${stored.slice(2)})` : ''}`;
  return [
    r.id,
    customRate(r) ?? rps,
    r.server === 'baseline' ? '100%' : pct(r.ratio),
    ms(r.latencyMs?.p50),
    ms(r.latencyMs?.p99),
    ms(r.latencyMs?.max),
    `${r.errors}/${r.timeouts}/${r.non2xx}`,
    int(r.peakRssMb),
    r.coldStartMs === null ? '–' : int(r.coldStartMs),
    r.cpuCores ? `${r.cpuCores.server.toFixed(2)}/${r.cpuCores.bench.toFixed(2)}/${r.cpuCores.other.toFixed(2)}` : '–',
    r.note ? `${r.title} (${r.note})` : r.title,
  ];
}

const HEAD = ['scenario', 'req/s', 'vs baseline', 'p50 ms', 'p99 ms', 'max ms', 'errors/timeouts/non-2xx', 'peak RSS MB', 'cold start ms', 'CPU server/bench/other', 'what'];

export function printTable(report: RunReport): void {
  const rows = [HEAD, ...report.scenarios.map(rowCells)];
  const widths = HEAD.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log('');
  for (const [n, r] of rows.entries()) {
    console.log(r.map((c, i) => (i === r.length - 1 ? c : c.padStart(i === 0 ? 0 : widths[i]!).padEnd(i === 0 ? widths[i]! : 0))).join('  '));
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  console.log('');
  for (const t of report.targets) console.log(`${t.pass === null ? '  ?  ' : t.pass ? ' pass' : ' MISS'}  ${t.label}: ${formatMeasured(t).replace(/\*/g, '')}`);
  console.log('');
}

/** `reference`: bench/results/ (tracked, with --write-docs); otherwise bench/results/local/ (gitignored). */
export function writeJson(report: RunReport, reference: boolean): string {
  const dir = reference ? join(REPO_ROOT, 'bench', 'results') : join(REPO_ROOT, 'bench', 'results', 'local');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${report.date.slice(0, 10)}-${report.store}-${report.scale}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

export const DOC_PATH = join(REPO_ROOT, 'docs', 'benchmarks.md');
const RESULTS_END = '<!-- bench:results-end -->';

export function markdownSection(report: RunReport): string {
  const m = report.machine;
  const s = report.dataset.stats;
  const busy = report.scenarios.filter((r) => (r.cpuCores?.other ?? 0) >= 0.3);
  const lines = [
    `### ${report.store === 'sqlite' ? 'SQLite' : 'PostgreSQL'}, ${report.scale}${report.smoke ? ' (smoke)' : ''}`,
    '',
    `Run ${report.date.slice(0, 16).replace('T', ' ')} UTC, code ${report.code.commit}${report.code.dirty ? ' plus uncommitted changes in src/' : ''}, on ${m.cpus} cores (${m.cpuModel}), ${m.memoryGb} GB RAM, Node ${m.node}. ` +
      `${report.connections} connections, ${report.warmupS} s warm-up then ${report.durationS} s per scenario; each scenario on a freshly started server. ` +
      `Dataset \`${report.dataset.key}\`: ${int(s.members)} members, ${int(s.connectionRows)} connection rows, ${int(s.visits)} visits, ` +
      `${int(s.summaryRows)} (profile, viewer) summary rows; celebrity ${int(s.celebrityVisits)} visits from ${int(s.celebrityViewers)} viewers` +
      `${s.buildSeconds ? `; built in ${s.buildSeconds} s` : ''}. Server: ${Object.entries(report.server).map(([k, v]) => `${k}=${v}`).join(', ')}.`,
    '',
    `| ${HEAD.join(' | ')} |`,
    `| ${HEAD.map((_, i) => (i === 0 || i === HEAD.length - 1 ? '---' : '---:')).join(' | ')} |`,
    ...report.scenarios.map((r) => `| ${rowCells(r).join(' | ')} |`),
    '',
    'CPU is in cores used during the measured run by the server / the bench (autocannon) / every other process on the machine' +
      (report.store === 'postgres' ? ' (PostgreSQL itself included).' : '.') +
      (busy.length ? ` **Other processes were busy during ${busy.map((r) => r.id).join(', ')}: those figures understate the service.**` : ''),
    '',
    `Targets (stated for full on SQLite${report.store === 'sqlite' && report.scale === 'full' ? '' : '; shown here for reference only'}):`,
    '',
    '| target | measured | result |',
    '| --- | ---: | --- |',
    ...report.targets.map((t) => `| ${t.label} | ${formatMeasured(t)} | ${verdict(t.pass)} |`),
  ];
  if (report.failures.length) lines.push('', `Failures: ${report.failures.join('; ')}`);
  return lines.join('\n');
}

const DOC_TEMPLATE = `# Benchmarks

\`npm run bench -- --scale small|full --store sqlite|postgres [--duration S]\` builds (or reuses) a seeded
dataset, starts the real server as a separate process on 127.0.0.1 and drives it with autocannon.
Every figure is also given as a ratio to a Fastify hello-world measured in the same run on the
same machine (first and again last; the ratios use the mean of the two), so results from
different machines can be compared. Raw results are in
\`bench/results/\`. The tables below are rewritten between their markers by \`npm run bench -- --write-docs\`
(other runs write to \`bench/results/local/\`, gitignored).

## Results

${RESULTS_END}
`;

export function updateDocs(report: RunReport): void {
  mkdirSync(join(REPO_ROOT, 'docs'), { recursive: true });
  let doc = existsSync(DOC_PATH) ? readFileSync(DOC_PATH, 'utf8') : DOC_TEMPLATE;
  const id = `${report.store}-${report.scale}`;
  const start = `<!-- bench:${id}:start -->`;
  const end = `<!-- bench:${id}:end -->`;
  const block = `${start}\n${markdownSection(report)}\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i >= 0 && j > i) doc = doc.slice(0, i) + block + doc.slice(j + end.length);
  else if (doc.includes(RESULTS_END)) doc = doc.replace(RESULTS_END, `${block}\n\n${RESULTS_END}`);
  else doc = `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(DOC_PATH, doc);
}
