/**
 * Bench scenario `import`: `profile-visitors visits import` of a generated NDJSON file into a
 * SQLite database with SQLITE_SYNCHRONOUS=full (every batch durable), through the built command,
 * as an operator would run it. Target: 1,000,000 visits in under 60 s.
 *
 *   npm run build && node dist/bench/import.js [--visits 1000000] [--members 20000] [--batch-size 5000]
 *
 * Everything goes to a temporary folder removed at the end; the result is printed (and written
 * to bench/results/local/, gitignored). The figure depends on the machine: the run prints its
 * core count next to it.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/[\\/]dist[\\/]?$/, '');
const BIN = join(ROOT, 'dist', 'bin', 'profile-visitors.mjs');
const TARGET_S = 60;

/** The process's peak resident memory so far (VmHWM), in MB; 0 once it has exited. */
function peakRssMb(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function writeLines(path: string, count: number, line: (i: number) => string): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < count; i++) {
    if (!out.write(`${line(i)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

async function main() {
  const visits = arg('visits', 1_000_000);
  const members = arg('members', 20_000);
  const batch = arg('batch-size', 10_000);
  const dir = mkdtempSync(join(tmpdir(), 'pv-bench-import-'));
  try {
    const env = { ...process.env, DATABASE_URL: join(dir, 'import.db'), SQLITE_SYNCHRONOUS: 'full', LOG_LEVEL: 'warn' };
    const now = Date.now();
    // Deterministic: member i views member (i * 7919 + k) at a time spread over 300 days.
    await writeLines(join(dir, 'members.ndjson'), members, (i) => JSON.stringify({ id: `m${i}`, name: `Member ${i}`, plan: i % 5 ? 'free' : 'premium' }));
    await writeLines(join(dir, 'visits.ndjson'), visits, (i) => {
      const viewer = i % members;
      const profile = (viewer * 7919 + Math.floor(i / members) + 1) % members;
      return JSON.stringify({ profileId: `m${profile === viewer ? (profile + 1) % members : profile}`, viewerId: `m${viewer}`, viewedAt: now - 1000 - ((i * 7_777) % (300 * 86_400_000)) });
    });
    // Asynchronous, so that the command's peak memory can be read while it runs: the import is
    // streamed, and its peak must not grow with the file (docs/cli-import.md).
    const run = async (args: string[], workspace = true) => {
      const started = process.hrtime.bigint();
      const child = spawn(process.execPath, [BIN, ...args, ...(workspace ? ['--workspace', 'bench'] : [])], { env });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
      let peakMb = 0;
      const sample = () => (peakMb = Math.max(peakMb, peakRssMb(child.pid!)));
      const timer = setInterval(sample, 200);
      const status = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (status !== 0) throw new Error(`${args.join(' ')} failed (${status}):\n${stderr}\n${stdout}`);
      return { seconds, peakRssMb: Math.round(peakMb), summary: stdout.trim().split('\n')[0] ?? '' };
    };
    await run(['migrate'], false);
    const m = await run(['members', 'import', join(dir, 'members.ndjson')]);
    const v = await run(['visits', 'import', join(dir, 'visits.ndjson'), '--batch-size', String(batch)]);
    const again = await run(['visits', 'import', join(dir, 'visits.ndjson'), '--batch-size', String(batch)]);
    const report = {
      scenario: 'import',
      date: new Date().toISOString(),
      machine: { cores: cpus().length, node: process.version },
      visits,
      members,
      batchSize: batch,
      membersSeconds: m.seconds,
      visitsSeconds: v.seconds,
      visitsPerSecond: Math.round(visits / v.seconds),
      visitsPeakRssMb: v.peakRssMb,
      rerunSeconds: again.seconds,
      target: `${visits.toLocaleString('en')} visits under ${TARGET_S} s`,
      pass: visits >= 1_000_000 ? v.seconds < TARGET_S : null,
      summaries: [m.summary, v.summary, again.summary],
    };
    console.log(JSON.stringify(report, null, 2));
    const out = join(ROOT, 'bench', 'results', 'local');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, `${report.date.slice(0, 10)}-sqlite-import.json`), `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
