/**
 * Builds the Fastify app and never listens (server.ts does), so tests drive the real app in
 * process. Infrastructure is registered as plugins; each API dialect is one encapsulated
 * context with its own auth extractor and error presenter.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { systemClock, type Clock, type Store } from '../core/index.js';
import type { Config } from '../config.js';
import { useErrorPresenter } from './errors.js';
import { corePlugin } from './plugins/core.js';
import { installValidators } from './plugins/validation.js';
import { openapiPlugin } from './plugins/openapi.js';
import { rateLimitPlugin } from './plugins/rate-limit.js';
import { createMetrics, metricsPlugin, type Metrics } from './plugins/metrics.js';
import { publishProjections, publishWebhooks } from '../metrics/features.js';
import { webhookStatsReader } from '../webhooks/stats.js';
import { nativeRoutes } from './native/routes.js';
import { insightsRoutes } from './native/insights-routes.js';
import { presentNativeError } from './native/presenters.js';
import { networkedRoutes } from './networked/routes.js';
import { linkupRoutes } from './linkup/routes.js';
import { connectSafelyRoutes } from './connectsafely/routes.js';
import { assetsPlugin } from './plugins/assets.js';
import { pagesPlugin } from '../pages/index.js';
import { serializersOnFirstUse } from './schema-compilers.js';
import { MAX_PARAM_LENGTH } from './errors.js';
import { clientErrorsIn, frameworkErrorsIn, presenterByPath, useUnroutedHandler } from './plugins/refusals.js';
import { presentNetworkedError } from './networked/presenters.js';
import { linkupErrorPresenter } from './linkup/presenters.js';
import { presentConnectSafelyError } from './connectsafely/presenters.js';
import { CONNECTSAFELY_PREFIX } from './connectsafely/routes.js';
import { LINKUP_PREFIX } from './linkup/routes.js';
import { NETWORKED_PREFIX } from './networked/routes.js';
import { DEFAULT_WEBHOOK_CONFIG, LiveFeed, openWebhooks, type WebhookConfig } from '../webhooks/index.js';
import { healthRoutes } from './health-routes.js';
import { ProjectionRunner } from '../core/index.js';

export interface AppOptions {
  config: Pick<Config, 'bodyLimitBytes' | 'logLevel' | 'authCacheMs' | 'rateLimitMax' | 'rateLimitWindowMs'> &
    Partial<Pick<Config, 'metricsPort' | 'redisUrl' | 'pagesSecret'>>;
  /** The metrics registry to fill (a new one when absent); server.ts passes it to serve METRICS_PORT. */
  metrics?: Metrics;
  store: Store;
  clock?: Clock;
  logger?: FastifyServerOptions['logger'];
  /**
   * Compile every route's validators and serializers before listening, as Fastify does by
   * default, instead of on first use (schema-compilers.ts): a test checks that they all compile.
   */
  eagerSchemas?: boolean;
  /** Webhook settings (config.ts); the defaults refuse private networks. */
  webhooks?: Partial<WebhookConfig>;
  /** Run the webhook delivery worker in this process (a server does; most tests need not). */
  deliverWebhooks?: boolean;
  /** Live feed: heartbeat comment interval (15 s by default) and poll interval of the log. */
  feed?: { heartbeatMs?: number; pollMs?: number; maxQueue?: number };
  /** The server's projection runner, whose lag and failures `/healthz?detail=1` reports. */
  projectionRunner?: ProjectionRunner;
  /**
   * How often the webhooks' member events poll the member-change log (1 s by default); null:
   * never, only this app's own member writes advance them (a test that advances them itself).
   */
  memberEventsPollMs?: number | null;
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const clock = opts.clock ?? systemClock;
  // Refusals that no route's context sees (no route, a path the router cannot read, a request
  // head too large) answer in the shape of the API that owns the path.
  const presentByPath = presenterByPath(
    [
      { prefix: NETWORKED_PREFIX, present: presentNetworkedError },
      { prefix: LINKUP_PREFIX, present: linkupErrorPresenter(() => clock.now()) },
      { prefix: CONNECTSAFELY_PREFIX, present: presentConnectSafelyError },
    ],
    presentNativeError,
  );
  const app = Fastify({
    logger: opts.logger ?? { level: opts.config.logLevel },
    bodyLimit: opts.config.bodyLimitBytes,
    return503OnClosing: true,
    // Member ids go up to 128 characters, URL-encoded ids can be three times longer.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrorsIn(presentByPath),
    clientErrorHandler: clientErrorsIn(presentByPath),
    forceCloseConnections: 'idle',
    ...(opts.eagerSchemas ? {} : { schemaController: { compilersFactory: { buildSerializer: serializersOnFirstUse } } }),
  });
  installValidators(app, { onFirstUse: !opts.eagerSchemas });
  // Every body this service reads is JSON: Fastify's text/plain parser would hand a route a
  // string where it expects an object; without it such a body is a 415 naming application/json.
  app.removeContentTypeParser('text/plain');
  const metrics = opts.metrics ?? createMetrics();
  const webhooks = openWebhooks(opts.store, {
    config: { ...DEFAULT_WEBHOOK_CONFIG, ...opts.webhooks },
    deliver: opts.deliverWebhooks ?? false,
    log: app.log,
    coreClock: clock,
    onAttempt: (result) => metrics.webhookAttempts.inc({ result }),
    memberEventsPollMs: opts.memberEventsPollMs,
  });
  app.decorate('webhooks', webhooks.service);
  app.addHook('onClose', () => webhooks.close());
  const feed = new LiveFeed({ store: opts.store, clock, ...opts.feed });
  app.decorate('liveFeed', feed);
  app.decorate('feedHeartbeatMs', opts.feed?.heartbeatMs ?? 15_000);
  // Open event streams would keep the server from closing: end them first.
  app.addHook('preClose', (done) => {
    feed.stop();
    done();
  });
  await app.register(corePlugin, { store: webhooks.store, clock, authCacheMs: opts.config.authCacheMs });
  await app.register(openapiPlugin);
  await app.register(metricsPlugin, { metrics, store: opts.store, serveOnApiPort: opts.config.metricsPort == null });
  // Where the projections stand, read as /healthz?detail=1 reads it (through the same runner,
  // whose failures it also shows); the webhooks projection is on the list by now. The member
  // events, a projection of the member-change log that the webhooks run, say their own lag.
  const runner = opts.projectionRunner ?? new ProjectionRunner(opts.store.visitLog, opts.store.projections);
  const lagSources = [webhooks.memberEvents];
  publishProjections(metrics, runner, () => opts.store.projections.map((p) => p.name), lagSources);
  publishWebhooks(metrics, webhookStatsReader(opts.store));

  await app.register(rateLimitPlugin, {
    max: opts.config.rateLimitMax,
    timeWindowMs: opts.config.rateLimitWindowMs,
    redisUrl: opts.config.redisUrl,
    onStoreError: () => app.metrics.rateLimitStoreErrors.inc(),
  });

  await app.register(healthRoutes, { store: opts.store, runner, lagSources });

  await app.register(nativeRoutes, { prefix: '/v1' });
  await app.register(insightsRoutes, { prefix: '/v1' });
  await app.register(networkedRoutes);
  await app.register(linkupRoutes);
  await app.register(connectSafelyRoutes);
  await app.register(assetsPlugin);
  await app.register(pagesPlugin, { secret: opts.config.pagesSecret ?? null });

  useErrorPresenter(app, presentByPath);
  useUnroutedHandler(app, presentByPath);
  return app;
}
