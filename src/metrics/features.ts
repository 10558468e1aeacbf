/**
 * Figures of the projections and of webhook delivery, read at scrape time (registry.ts,
 * `addGauge`). Both are read from the shared database, the same in every process: with
 * WORKERS the primary shows the highest worker's reading, not the sum (`aggregator: 'max'`).
 *
 * Projection figures are added up over workspaces, one series per projection, so that the
 * number of series does not grow with the number of workspaces; where one workspace stands is
 * `/healthz?detail=1` with that workspace's admin key. Both read through the same
 * `ProjectionRunner.lag` (docs/visit-log.md), and the same `lag` of the projections of other logs
 * (the webhooks' member events, `webhooks.members`, of the member-change log).
 */
import type { ProjectionLag, ProjectionLagSource, ProjectionRunner } from '../core/index.js';
import type { WebhookStats } from '../webhooks/stats.js';
import type { Metrics } from './registry.js';

/** One reading shared by the gauges collected in one scrape (prom-client collects them at once). */
function shared<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => (inFlight ??= read().finally(() => (inFlight = undefined)));
}

export function publishProjections(
  metrics: Metrics,
  runner: ProjectionRunner,
  projectionNames: () => readonly string[],
  others: readonly ProjectionLagSource[] = [],
): void {
  // Real time, as entries are stamped when written (and as /healthz reads it).
  const lag = shared(async () => {
    const now = Date.now();
    const [visitLog, ...rest] = await Promise.all([runner.lag(now), ...others.map((o) => o.lag(now))]);
    return { visitLog, all: [...visitLog, ...rest.flat()] };
  });
  const names = () => [...projectionNames(), ...others.flatMap((o) => o.names)];
  const perProjection = (figure: (lags: ProjectionLag[]) => number) => async () => {
    const { all } = await lag();
    return names().map((projection) => ({ labels: { projection }, value: figure(all.filter((l) => l.projection === projection)) }));
  };
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const shape = { labelNames: ['projection'], aggregator: 'max' } as const;
  metrics.addGauge({
    name: 'pv_projection_position',
    help: "the projection's checkpoints added up over workspaces (entries of its log applied: the visit log's, the member-change log's for webhooks.members)",
    ...shape,
    collect: perProjection((ls) => sum(ls.map((l) => l.position))),
  });
  metrics.addGauge({
    name: 'pv_projection_lag_entries',
    help: 'entries of its log (the visit log; the member-change log for webhooks.members) the projection has not applied yet, every workspace',
    ...shape,
    collect: perProjection((ls) => sum(ls.map((l) => l.entries))),
  });
  metrics.addGauge({
    name: 'pv_projection_lag_seconds',
    help: 'age of the oldest entry of its log the projection has not applied yet, in any workspace (0 when caught up)',
    ...shape,
    collect: perProjection((ls) => Math.max(0, ...ls.map((l) => l.seconds))),
  });
  metrics.addGauge({
    name: 'pv_visit_log_head',
    help: "the visit log's heads added up over workspaces (what pv_projection_position of its projections reaches when caught up)",
    aggregator: 'max',
    collect: async () => {
      const heads = new Map((await lag()).visitLog.map((l) => [l.workspaceId, l.head]));
      return sum([...heads.values()]);
    },
  });
  metrics.addGauge({
    name: 'pv_projection_stopped',
    help: "1 when this process's runner stopped the projection on a log entry it could not apply (counted once per process)",
    labelNames: ['projection'],
    collect: () => {
      const stopped = new Set(runner.failures().map((f) => f.projection));
      return projectionNames().map((projection) => ({ labels: { projection }, value: stopped.has(projection) ? 1 : 0 }));
    },
  });
}

export function publishWebhooks(metrics: Metrics, read: () => Promise<WebhookStats>): void {
  const stats = shared(read);
  const figures: [name: string, help: string, key: keyof WebhookStats][] = [
    ['pv_webhook_queue_depth', 'webhook messages waiting to be delivered (pending), every workspace', 'pending'],
    ['pv_webhook_queue_retrying', 'of the messages waiting, those whose last attempt failed', 'retrying'],
    ['pv_webhook_queue_held', 'of the messages waiting, those held for a disabled endpoint', 'held'],
    ['pv_webhook_endpoints_failing', 'enabled webhook endpoints whose last attempt failed', 'failingEndpoints'],
    ['pv_webhook_endpoints_disabled', 'webhook endpoints disabled (by an administrator, a 410, or failing for five days)', 'disabledEndpoints'],
  ];
  for (const [name, help, key] of figures) {
    metrics.addGauge({ name, help, aggregator: 'max', collect: async () => (await stats())[key] });
  }
}
