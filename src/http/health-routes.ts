/**
 * `GET /healthz`: "ok" for load balancers, without a key. With `?detail=1` and an admin key
 * (x-api-key or Bearer), also where each projection stands in the key's workspace: its
 * checkpoint, its log's head, and how far behind it is in entries and seconds (docs/visit-log.md):
 * the visit log's projections, then those of other logs (the webhooks' member events, of the
 * member-change log). Another workspace's figures are never shown.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ProjectionRunner, type ProjectionLagSource, type Store } from '../core/index.js';
import { fromEither } from './plugins/auth.js';
import { requireAdmin } from './plugins/core.js';
import { errorResponses } from './native/schemas.js';
import { presentNativeError } from './native/presenters.js';
import { useErrorPresenter } from './errors.js';

const Lag = Type.Object({
  name: Type.String(),
  position: Type.Number(),
  head: Type.Number(),
  lagEntries: Type.Number(),
  lagSeconds: Type.Number(),
  /** Set when the projection stopped on an entry it could not apply. */
  stoppedAt: Type.Optional(Type.Object({ position: Type.Number(), error: Type.String() })),
});

const Health = Type.Object({
  status: Type.String(),
  store: Type.String(),
  projections: Type.Optional(Type.Array(Lag)),
});

export interface HealthOptions {
  store: Store;
  /** The server's projection runner (its failures are shown); absent in tests that build the app alone. */
  runner?: ProjectionRunner;
  /** Projections of other logs than the visit log (the webhooks' member events), listed after the runner's. */
  lagSources?: readonly ProjectionLagSource[];
}

export async function healthRoutes(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  // Refusals (no key, not an admin, a bad `detail`) in the native API's shape.
  useErrorPresenter(app, presentNativeError);
  const runner = opts.runner ?? new ProjectionRunner(opts.store.visitLog, opts.store.projections);
  const others = opts.lagSources ?? [];
  app.get(
    '/healthz',
    {
      schema: {
        hide: true,
        querystring: Type.Object({ detail: Type.Optional(Type.Union([Type.Literal('0'), Type.Literal('1')])) }),
        response: { 200: Health, ...errorResponses },
      },
    },
    async (request) => {
      const base = { status: 'ok', store: opts.store.kind };
      if ((request.query as { detail?: string }).detail !== '1') return base;
      request.principal = await app.authenticator.authenticate(fromEither(request));
      const ws = requireAdmin(request).workspace.id;
      const failures = new Map(runner.failures().filter((f) => f.workspaceId === ws).map((f) => [f.projection, f]));
      const now = Date.now();
      const lags = await Promise.all([runner.lag(now), ...others.map((o) => o.lag(now))]);
      const byName = new Map(lags.flat().filter((l) => l.workspaceId === ws).map((l) => [l.projection, l]));
      const names = [...opts.store.projections.map((p) => p.name), ...others.flatMap((o) => o.names)];
      return {
        ...base,
        projections: names.map((name) => {
          const l = byName.get(name);
          const f = failures.get(name);
          return {
            name,
            position: l?.position ?? 0,
            head: l?.head ?? 0,
            lagEntries: l?.entries ?? 0,
            lagSeconds: l?.seconds ?? 0,
            ...(f ? { stoppedAt: { position: f.position, error: f.message } } : {}),
          };
        }),
      };
    },
  );
}
