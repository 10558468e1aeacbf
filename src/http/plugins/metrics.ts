/**
 * Request metrics and `GET /metrics` (Prometheus text format). On the API port the endpoint needs
 * an admin key (x-api-key or Bearer): figures of every workspace are operator data. With
 * METRICS_PORT set it is served there instead, without a key, for a scraper on a private network
 * (server.ts listens on it), and the API port has no /metrics.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../core/index.js';
import { createMetrics, type Metrics } from '../../metrics/registry.js';
import { fromEither, requireApiKey } from './auth.js';
import { requireAdmin } from './core.js';
import { useErrorPresenter } from '../errors.js';
import { presentNativeError } from '../native/presenters.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

export interface MetricsPluginOptions {
  metrics?: Metrics;
  store: Store;
  /** Serve /metrics on the API port (behind an admin key); false when METRICS_PORT serves it. */
  serveOnApiPort: boolean;
}

export { createMetrics, type Metrics } from '../../metrics/registry.js';

export const metricsPlugin = fp<MetricsPluginOptions>(
  async (app, opts) => {
    const metrics = opts.metrics ?? createMetrics();
    app.decorate('metrics', metrics);
    publishStoreStats(metrics, opts.store);

    app.addHook('onResponse', (request, reply, done) => {
      // The route pattern (/v1/members/:memberId), never the raw URL: one series per route.
      const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
      done();
    });

    if (opts.serveOnApiPort) {
      await app.register(async (scoped: FastifyInstance) => {
        // Refusals (no key, a member key) in the native API's error shape.
        useErrorPresenter(scoped, presentNativeError);
        requireApiKey(scoped, fromEither);
        scoped.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
          requireAdmin(request);
          return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
        });
      });
    }
  },
  { name: 'metrics', dependencies: ['core'] },
);

/** The store's own figures (pool, cache), one gauge each, read at scrape time. */
function publishStoreStats(metrics: Metrics, store: Store) {
  const stats = store.stats;
  if (!stats) return;
  for (const [name, { help }] of Object.entries(stats.call(store))) {
    metrics.addGauge({ name: `pv_store_${name}`, help, collect: () => stats.call(store)[name]?.value ?? 0 });
  }
}
