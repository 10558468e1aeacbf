/**
 * The service's Prometheus metrics (prom-client), one registry per app. The HTTP plugin
 * (http/plugins/metrics.ts) feeds the request figures and serves `GET /metrics`; other features
 * add what they know with `addGauge` (read when scraped, so nothing is computed between scrapes),
 * for example a projection's lag or a webhook queue's depth:
 *
 *   app.metrics.addGauge({ name: 'pv_jobs_waiting', help: 'jobs waiting', collect: () => queue.size });
 */
import client from 'prom-client';
import type { RecordStatus } from '../core/index.js';

export type GaugeReading = number | ReadonlyArray<{ labels: Record<string, string>; value: number }>;

export interface GaugeSpec {
  /** Prometheus name, `pv_` first (e.g. pv_projection_lag_seconds). */
  name: string;
  help: string;
  /** Label names when `collect` returns labelled values. */
  labelNames?: readonly string[];
  /** Read at each scrape; may be async (a query). */
  collect: () => GaugeReading | Promise<GaugeReading>;
  /**
   * How the WORKERS primary combines the workers' readings (METRICS_PORT): `sum` (the default)
   * for a figure of the process (its pool, its cache); `max` for one read from the shared
   * database, which every worker reads alike and a sum would count WORKERS times.
   */
  aggregator?: 'sum' | 'max';
}

export interface Metrics {
  readonly registry: client.Registry;
  /** Requests answered, by method, route pattern (not the raw URL: ids would explode the series) and status. */
  readonly httpRequests: client.Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: client.Histogram<'method' | 'route' | 'status'>;
  /** Visits acknowledged to a client, by outcome (recorded, replayed, deduplicated, self_view, blocked). */
  readonly visitsAcknowledged: client.Counter<'status'>;
  /** Errors of the shared rate-limit store (Redis): requests were served anyway (fail open). */
  readonly rateLimitStoreErrors: client.Counter;
  /** Webhook delivery attempts made by this process, by the message's state after it (delivered, pending: to retry, failed: given up). */
  readonly webhookAttempts: client.Counter<'result'>;
  countAcknowledged(statuses: Iterable<RecordStatus | 'self_view' | 'blocked'>): void;
  addGauge(spec: GaugeSpec): void;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new client.Registry();
  // Process figures (CPU, memory, event-loop lag, GC): one set per process.
  if (opts.defaultMetrics ?? true) client.collectDefaultMetrics({ register: registry, prefix: 'pv_' });
  const httpRequests = new client.Counter({
    name: 'pv_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new client.Histogram({
    name: 'pv_http_request_duration_seconds',
    help: 'time from receiving a request to sending its response, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const visitsAcknowledged = new client.Counter({
    name: 'pv_visits_acknowledged_total',
    help: 'visits acknowledged to a client (POST /v1/visits and /v1/visits/batch), by outcome',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const rateLimitStoreErrors = new client.Counter({
    name: 'pv_rate_limit_store_errors_total',
    help: 'requests the shared rate-limit store (Redis) could not count; they were served (fail open)',
    registers: [registry],
  });
  const webhookAttempts = new client.Counter({
    name: 'pv_webhook_attempts_total',
    help: "webhook delivery attempts made by this process, by the message's state after it: delivered, pending (failed, to be retried), failed (failed, given up)",
    labelNames: ['result'] as const,
    registers: [registry],
  });
  return {
    registry,
    httpRequests,
    httpDuration,
    visitsAcknowledged,
    rateLimitStoreErrors,
    webhookAttempts,
    countAcknowledged(statuses) {
      const counts = new Map<string, number>();
      for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
      for (const [status, n] of counts) visitsAcknowledged.inc({ status }, n);
    },
    addGauge(spec) {
      new client.Gauge({
        name: spec.name,
        help: spec.help,
        labelNames: spec.labelNames ?? [],
        registers: [registry],
        aggregator: spec.aggregator ?? 'sum',
        async collect() {
          const reading = await spec.collect();
          this.reset();
          if (typeof reading === 'number') this.set(reading);
          else for (const { labels, value } of reading) this.set(labels, value);
        },
      });
    },
  };
}
