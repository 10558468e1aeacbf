/**
 * Runs a server as a separate process on 127.0.0.1: measures its cold start (spawn to the
 * first successful /healthz) and its peak resident memory (VmHWM from /proc/<pid>/status).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface ServerProcess {
  pid: number;
  url: string;
  coldStartMs: number;
  /** Peak resident set size so far, in MB (VmHWM). */
  peakRssMb(): number | null;
  /** Last lines of the server's output, for error reports. */
  output(): string;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  script: string;
  args?: string[];
  env?: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof (BENCH_NODE_ARGS). */
  nodeArgs?: string[];
  timeoutMs?: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** `pid` and its descendants (the workers of a WORKERS > 1 server), from /proc. */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      const kids = readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      out.push(...kids.map(Number));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Sum over the server's process tree: with workers, each has its own heap and SQLite cache. */
function treeVmKb(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  let sum: number | null = null;
  for (const p of processTree(pid)) {
    const kb = readVmKb(p, field);
    if (kb !== null) sum = (sum ?? 0) + kb;
  }
  return sum;
}

export function readVmKb(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Children still running, killed if the bench itself is interrupted. */
const live = new Set<ChildProcess>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const c of live) c.kill('SIGKILL');
    process.exit(130);
  });
}

export async function startServerProcess(opts: SpawnOptions): Promise<ServerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-8000);
  };
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, [...(opts.nodeArgs ?? []), opts.script, ...(opts.args ?? [])], {
    env: { ...process.env, ...opts.env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );

  const deadline = t0 + (opts.timeoutMs ?? 60_000);
  let coldStartMs = -1;
  while (performance.now() < deadline) {
    if (exited) break;
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) {
        coldStartMs = performance.now() - t0;
        break;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  if (coldStartMs < 0) {
    child.kill('SIGKILL');
    await exit;
    const why = exited ? `exited (${JSON.stringify(exited)})` : 'did not answer /healthz in time';
    throw new Error(`${opts.name} ${why}; its output:\n${log}`);
  }
  const pid = child.pid!;
  let lastPeak: number | null = null;
  return {
    pid,
    url,
    coldStartMs,
    peakRssMb() {
      const kb = treeVmKb(pid, 'VmHWM');
      if (kb !== null) lastPeak = kb / 1024;
      return lastPeak;
    },
    output: () => log,
    async stop() {
      if (exited) return;
      const kb = treeVmKb(pid, 'VmHWM');
      if (kb !== null) lastPeak = kb / 1024;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(killer);
    },
  };
}
