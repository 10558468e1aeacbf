/** The first performance targets (docs/benchmarks.md), stated for `full` on SQLite, and their pass/miss. */
import type { ScenarioResult } from './report.js';

/** autocannon's request timeout. */
export const TIMEOUT_MS = 10_000;

export interface Target {
  label: string;
  scenario: string | 'all-app';
  metric: 'ratio' | 'p99' | 'visitsPerSec' | 'peakRssMb' | 'coldStartMs' | 'deliveriesPerSec';
  op: '>=' | '<=' | '<';
  value: number;
}

export interface TargetOutcome extends Target {
  measured: number | null;
  /** null when the scenario could not be measured (not available). */
  pass: boolean | null;
}

const list = (scenario: string, name: string): Target[] => [
  { label: `${name} req/s >= 50% of baseline`, scenario, metric: 'ratio', op: '>=', value: 0.5 },
  { label: `${name} p99 <= 10 ms`, scenario, metric: 'p99', op: '<=', value: 10 },
];

export const TARGETS: Target[] = [
  ...list('networked', 'Networked list'),
  ...list('linkup', 'LinkupAPI list'),
  // A page of 20: the targets are for pages of 10 to 20; the fetchAll-100 scenario is reported beside.
  ...list('connectsafely-page', 'ConnectSafely list (page of 20)'),
  { label: 'celebrity first page p99 <= 20 ms', scenario: 'celebrity-first', metric: 'p99', op: '<=', value: 20 },
  { label: 'member page (celebrity first page) p99 <= 50 ms', scenario: 'embed-page', metric: 'p99', op: '<=', value: 50 },
  { label: 'celebrity offset 5,000 p99 <= 20 ms', scenario: 'celebrity-deep', metric: 'p99', op: '<=', value: 20 },
  { label: 'single visit req/s >= 35% of baseline', scenario: 'visit-single', metric: 'ratio', op: '>=', value: 0.35 },
  { label: 'single visit p99 <= 15 ms', scenario: 'visit-single', metric: 'p99', op: '<=', value: 15 },
  { label: 'batch recording >= 100,000 visits/s', scenario: 'visit-batch', metric: 'visitsPerSec', op: '>=', value: 100_000 },
  { label: 'webhook p99 from acknowledgement to receipt <= 1 s', scenario: 'webhooks', metric: 'p99', op: '<=', value: 1000 },
  { label: 'webhook deliveries >= 2,000/s to a fast receiver', scenario: 'webhooks', metric: 'deliveriesPerSec', op: '>=', value: 2000 },
  { label: 'server peak RSS <= 300 MB (every scenario)', scenario: 'all-app', metric: 'peakRssMb', op: '<=', value: 300 },
  { label: 'cold start to listening < 1 s (slowest start)', scenario: 'all-app', metric: 'coldStartMs', op: '<', value: 1000 },
];

function metricOf(r: ScenarioResult, metric: Target['metric']): number | null {
  switch (metric) {
    case 'ratio':
      return r.ratio;
    case 'p99':
      // Nothing answered within autocannon's 10 s timeout: the p99 is at least that.
      return r.latencyMs?.p99 ?? (r.timeouts > 0 ? TIMEOUT_MS : null);
    case 'visitsPerSec':
      return r.visitsPerSec;
    case 'peakRssMb':
      return r.peakRssMb;
    case 'coldStartMs':
      return r.coldStartMs;
    case 'deliveriesPerSec':
      return r.deliveriesPerSec ?? null;
  }
}

export function evaluateTargets(results: ScenarioResult[]): TargetOutcome[] {
  return TARGETS.map((t) => {
    const rs = results.filter((r) => r.available && (t.scenario === 'all-app' ? r.server === 'app' : r.id === t.scenario));
    const values = rs.map((r) => metricOf(r, t.metric)).filter((v): v is number => v !== null);
    if (values.length === 0) return { ...t, measured: null, pass: null };
    // The worst value decides: the largest for upper bounds, the smallest for lower bounds.
    const measured = t.op === '>=' ? Math.min(...values) : Math.max(...values);
    const pass = t.op === '>=' ? measured >= t.value : t.op === '<=' ? measured <= t.value : measured < t.value;
    return { ...t, measured, pass };
  });
}
