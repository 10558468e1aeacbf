/**
 * CPU accounting during a measured run, from /proc: how many cores the server used, how many
 * the bench itself used (autocannon), and how many went to other processes on the machine.
 * Load from other processes makes a run unrepresentative, so the report shows it.
 */
import { processTree } from './server-process.js';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const TICKS_PER_SECOND = 100;

export interface CpuSnapshot {
  at: number;
  busyTicks: number;
  serverTicks: number;
  benchMicros: number;
}

export interface CpuUse {
  /** Cores used by the server process (1 = one core fully busy). */
  server: number;
  /** Cores used by the bench process (load generator). */
  bench: number;
  /** Cores used by everything else on the machine. */
  other: number;
}

function machineBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return user + nice + system + irq + softirq + steal;
}

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime, stime
  } catch {
    return 0;
  }
}

export function cpuSnapshot(serverPid: number): CpuSnapshot {
  const u = process.cpuUsage();
  const serverTicks = processTree(serverPid).reduce((sum, pid) => sum + processTicks(pid), 0);
  return { at: performance.now(), busyTicks: machineBusyTicks(), serverTicks, benchMicros: u.user + u.system };
}

export function cpuUse(a: CpuSnapshot, b: CpuSnapshot): CpuUse {
  const seconds = (b.at - a.at) / 1000;
  const server = (b.serverTicks - a.serverTicks) / TICKS_PER_SECOND / seconds;
  const bench = (b.benchMicros - a.benchMicros) / 1e6 / seconds;
  const all = (b.busyTicks - a.busyTicks) / TICKS_PER_SECOND / seconds;
  const r = (v: number) => Math.round(v * 100) / 100;
  return { server: r(server), bench: r(bench), other: r(Math.max(0, all - server - bench)) };
}

/** Cores busy on the whole machine over `ms` (the bench is idle meanwhile, so this is other load). */
export async function machineBusyCores(ms = 1000): Promise<number> {
  const a = machineBusyTicks();
  const t = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return (machineBusyTicks() - a) / TICKS_PER_SECOND / ((performance.now() - t) / 1000);
}

/**
 * Waits until other processes leave the machine quiet (under `threshold` busy cores for two
 * consecutive seconds), at most `maxWaitS`. Returns the busy cores last seen and the wait.
 */
export async function waitForQuiet(maxWaitS: number, threshold = 0.3): Promise<{ busy: number; waitedS: number }> {
  const t0 = performance.now();
  let busy = await machineBusyCores(1000);
  let quiet = busy < threshold ? 1 : 0;
  while (quiet < 2 && (performance.now() - t0) / 1000 < maxWaitS) {
    busy = await machineBusyCores(1000);
    quiet = busy < threshold ? quiet + 1 : 0;
  }
  return { busy: Math.round(busy * 100) / 100, waitedS: Math.round((performance.now() - t0) / 1000) };
}
