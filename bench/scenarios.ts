/**
 * The bench's scenarios (docs/benchmarks.md). Each says which server it runs against and how to build its next
 * request; requests for lists are spread over owners by the dataset's Zipf law, with a share
 * aimed at the celebrity, and never at owners who may not read their viewers (free and
 * private: those answer 403 by the reciprocity rule).
 */
import { VISIT_SOURCES } from '../src/core/index.js';
import { Rng } from './rng.js';
import { CELEBRITY_INDEX, OwnerLaw, WORKSPACE_ID, celebrityId, memberId } from './dataset-shape.js';
import type { Dataset } from './dataset.js';
import type { RequestSpec } from './load.js';
import { measureExport, type ExportMeasure } from './export-stream.js';
import { Signer } from '../src/pages/signing.js';
import { mintEmbedToken } from '../src/pages/embed-token.js';
import { FEED_CONNECTIONS, WEBHOOK_RATE, runFeed, runWebhooks, type CustomFigures, type CustomRun } from './webhooks.js';

/** The bench server's PAGES_SECRET (run.ts passes it), so a scenario can sign member-page links itself. */
export const BENCH_PAGES_SECRET = 'bench-pages-secret-not-for-production-0123456789';

/** Share of list requests aimed at the celebrity. */
export const CELEBRITY_SHARE = 0.1;
export const BATCH_SIZE = 1000;
/** In the sustained scenario, one request in this many is a batch of BATCH_SIZE, the others single visits. */
export const SUSTAINED_BATCH_EVERY = 10;

export interface ScenarioContext {
  dataset: Dataset;
  law: OwnerLaw;
}

export interface Scenario {
  id: string;
  title: string;
  server: 'baseline' | 'app';
  kind: 'baseline' | 'read' | 'write';
  /** Visits recorded per request (batch scenario), for a visits/s figure. */
  itemsPerRequest?: number;
  /** Built by someone else and maybe not there yet: a route 404 means "not available", not a failure. */
  optional?: boolean;
  /** Sustained ingest: measured for `--sustained` seconds, with the projections' lag at the end. */
  sustained?: boolean;
  /** Returns the request generator of one run. */
  requests(ctx: ScenarioContext): () => RequestSpec;
  /** Checks one answer's body beyond its status (e.g. no rejected item in a batch). */
  check?(body: unknown): string | null;
  /** Server environment beside the bench's own. */
  env?: Record<string, string>;
  /** Drives the server itself instead of autocannon (webhooks.ts); `requests` is then unused. */
  custom?(ctx: ScenarioContext, run: CustomRun): Promise<CustomFigures>;
  /**
   * A scenario measured by one long request instead of a load (no `requests` driven): it runs
   * against the started server and reports what that request cost.
   */
  once?(ctx: ScenarioContext, server: { url: string; pid: number }): Promise<ExportMeasure>;
}

/** Owners of list requests: 10% the celebrity, else the Zipf law, skipping owners who would get 403. */
export function ownerPicker(ctx: ScenarioContext, rng: Rng): () => string {
  return () => {
    if (rng.float() < CELEBRITY_SHARE) return celebrityId();
    for (;;) {
      const owner = ctx.law.sample(rng);
      if (!ctx.dataset.blockedOwners.has(owner)) return memberId(owner);
    }
  };
}

function randomPair(ctx: ScenarioContext, rng: Rng): [string, string] {
  const n = ctx.dataset.shape.members;
  const profile = rng.float() < CELEBRITY_SHARE ? CELEBRITY_INDEX : ctx.law.sample(rng);
  let viewer = rng.int(n - 1);
  if (viewer >= profile) viewer++;
  return [memberId(profile), memberId(viewer)];
}

const json = (v: unknown) => JSON.stringify(v);

/** A ConnectSafely visitor list for owners drawn by the dataset's law; `params` beside the account. */
function connectSafelyList(id: string, what: string, params: Record<string, unknown>): Scenario {
  return {
    id,
    title: `ConnectSafely list, POST /linkedin/profile/visitors ${what}`,
    server: 'app',
    kind: 'read',
    optional: true,
    requests(ctx) {
      const owner = ownerPicker(ctx, new Rng(ctx.dataset.shape.seed, `req-${id}`));
      const headers = { authorization: `Bearer ${ctx.dataset.adminSecret}` };
      return () => ({ method: 'POST', path: '/linkedin/profile/visitors', headers, body: json({ accountId: owner(), ...params }) });
    },
  };
}

/** Premium owners drawn by the dataset's Zipf law (a free owner's 365 days would be refused). */
function premiumOwnerPicker(ctx: ScenarioContext, rng: Rng): () => string {
  return () => {
    for (;;) {
      const owner = ctx.law.sample(rng);
      if (ctx.dataset.premiumOwners.has(owner)) return memberId(owner);
    }
  };
}

/** Member insights over 365 days (docs/insights.md): totals, previous period and a daily series, no breakdowns. */
function memberInsights(id: string, what: string, owner: (ctx: ScenarioContext) => () => string): Scenario {
  return {
    id,
    title: `Member insights, GET /v1/members/:id/insights range=365d, ${what}`,
    server: 'app',
    kind: 'read',
    optional: true,
    requests(ctx) {
      const next = owner(ctx);
      const headers = { 'x-api-key': ctx.dataset.adminSecret };
      return () => ({ method: 'GET', path: `/v1/members/${next()}/insights?range=365d&granularity=day&tz=Europe%2FParis`, headers });
    },
  };
}

export const SCENARIOS: Scenario[] = [
  {
    id: 'baseline',
    title: 'Fastify hello-world, 10-viewer-sized JSON',
    server: 'baseline',
    kind: 'baseline',
    requests: () => () => ({ method: 'GET', path: '/' }),
  },
  {
    id: 'networked',
    title: 'Networked list, GET /api/v1/profile/visits count=10',
    server: 'app',
    kind: 'read',
    requests(ctx) {
      const owner = ownerPicker(ctx, new Rng(ctx.dataset.shape.seed, 'req-networked'));
      const headers = { 'x-api-key': ctx.dataset.adminSecret };
      return () => ({ method: 'GET', path: `/api/v1/profile/visits?start=0&count=10&userId=${owner()}`, headers });
    },
  },
  {
    id: 'linkup',
    title: 'LinkupAPI list, POST /v2/profiles count=10',
    server: 'app',
    kind: 'read',
    optional: true,
    requests(ctx) {
      const owner = ownerPicker(ctx, new Rng(ctx.dataset.shape.seed, 'req-linkup'));
      const headers = { 'x-api-key': ctx.dataset.adminSecret };
      return () => ({
        method: 'POST',
        path: '/v2/profiles',
        headers,
        body: json({ account_id: owner(), action: 'get_viewers', params: { count: 10, offset: 0 } }),
      });
    },
  },
  connectSafelyList('connectsafely', 'fetchAll max 100', { fetchAll: true, maxVisitors: 100 }),
  // The targets' "page of 10 to 20", as in ConnectSafely's own example: one page of 20 with
  // the viewers' connection degrees; the fetchAll scenario above is five such pages.
  connectSafelyList('connectsafely-page', 'maxVisitors 20', { maxVisitors: 20 }),
  {
    id: 'celebrity-first',
    title: 'Native list, celebrity first page (limit 20)',
    server: 'app',
    kind: 'read',
    requests(ctx) {
      const headers = { 'x-api-key': ctx.dataset.adminSecret };
      return () => ({ method: 'GET', path: `/v1/members/${celebrityId()}/visitors?offset=0&limit=20`, headers });
    },
  },
  {
    // The member page (docs/pages.md) a platform embeds: the celebrity's first 20 viewers as HTML,
    // with the 30-day chart's series, through a signed link instead of an API key.
    id: 'embed-page',
    title: 'Member page, celebrity first page (HTML, /embed/visitors)',
    server: 'app',
    kind: 'read',
    optional: true,
    requests() {
      const token = mintEmbedToken(new Signer(BENCH_PAGES_SECRET), { workspaceId: WORKSPACE_ID, memberId: celebrityId(), exp: Date.now() + 86_400_000 });
      return () => ({ method: 'GET', path: `/embed/visitors?token=${encodeURIComponent(token)}`, headers: {} });
    },
  },
  {
    id: 'celebrity-deep',
    title: 'Native list, celebrity at offset 5,000 (limit 20)',
    server: 'app',
    kind: 'read',
    requests(ctx) {
      const headers = { 'x-api-key': ctx.dataset.adminSecret };
      return () => ({ method: 'GET', path: `/v1/members/${celebrityId()}/visitors?offset=5000&limit=20`, headers });
    },
  },
  {
    id: 'visit-single',
    title: 'Record one visit, POST /v1/visits (durable)',
    server: 'app',
    kind: 'write',
    itemsPerRequest: 1,
    requests(ctx) {
      const rng = new Rng(ctx.dataset.shape.seed ^ Date.now(), 'req-visit');
      const headers = { 'x-api-key': ctx.dataset.adminSecret };
      return () => {
        const [profileId, viewerId] = randomPair(ctx, rng);
        return { method: 'POST', path: '/v1/visits', headers, body: json({ profileId, viewerId, source: rng.pick(VISIT_SOURCES) }) };
      };
    },
  },
  {
    id: 'visit-batch',
    title: `Record batches of ${BATCH_SIZE.toLocaleString('en-US')} visits, POST /v1/visits/batch`,
    server: 'app',
    kind: 'write',
    itemsPerRequest: BATCH_SIZE,
    requests(ctx) {
      const rng = new Rng(ctx.dataset.shape.seed ^ Date.now(), 'req-batch');
      const headers = { 'x-api-key': ctx.dataset.adminSecret };
      return () => {
        const parts: string[] = [];
        for (let i = 0; i < BATCH_SIZE; i++) {
          const [profileId, viewerId] = randomPair(ctx, rng);
          parts.push(`{"profileId":"${profileId}","viewerId":"${viewerId}","source":"${rng.pick(VISIT_SOURCES)}"}`);
        }
        return { method: 'POST', path: '/v1/visits/batch', headers, body: `{"visits":[${parts.join(',')}]}` };
      };
    },
    check(body) {
      const b = body as { rejected?: number; recorded?: number };
      if (typeof b?.rejected !== 'number') return 'the batch answer has no counts';
      return b.rejected > 0 ? `${b.rejected} visits of the batch were rejected` : null;
    },
  },
  {
    id: 'sustained',
    title: `Sustained ingest: single visits and batches of ${BATCH_SIZE.toLocaleString('en-US')} together (1 request in ${SUSTAINED_BATCH_EVERY} a batch)`,
    server: 'app',
    kind: 'write',
    sustained: true,
    // The mean per request: visits/s answered is approximate; stored/s and folded/s are counted in the database.
    itemsPerRequest: (SUSTAINED_BATCH_EVERY - 1 + BATCH_SIZE) / SUSTAINED_BATCH_EVERY,
    requests(ctx) {
      const rng = new Rng(ctx.dataset.shape.seed ^ Date.now(), 'req-sustained');
      const headers = { 'x-api-key': ctx.dataset.adminSecret };
      let n = 0;
      return () => {
        if (n++ % SUSTAINED_BATCH_EVERY === SUSTAINED_BATCH_EVERY - 1) {
          const parts: string[] = [];
          for (let i = 0; i < BATCH_SIZE; i++) {
            const [profileId, viewerId] = randomPair(ctx, rng);
            parts.push(`{"profileId":"${profileId}","viewerId":"${viewerId}","source":"${rng.pick(VISIT_SOURCES)}"}`);
          }
          return { method: 'POST', path: '/v1/visits/batch', headers, body: `{"visits":[${parts.join(',')}]}` };
        }
        const [profileId, viewerId] = randomPair(ctx, rng);
        return { method: 'POST', path: '/v1/visits', headers, body: json({ profileId, viewerId, source: rng.pick(VISIT_SOURCES) }) };
      };
    },
  },
  {
    // The celebrity's whole export as NDJSON (docs/privacy-controls.md, "Export"): one request
    // streamed to the end, for its time and the server's peak memory, which must not grow with
    // the list (a million views at full scale).
    id: 'export-celebrity',
    title: 'Member export, celebrity, GET /v1/members/:id/export?format=ndjson (one request, streamed)',
    server: 'app',
    kind: 'read',
    optional: true,
    requests(ctx) {
      const headers = { 'x-api-key': ctx.dataset.adminSecret };
      return () => ({ method: 'GET', path: `/v1/members/${celebrityId()}/export?format=ndjson`, headers });
    },
    once: (ctx, server) => measureExport(server.url, server.pid, ctx.dataset.adminSecret, celebrityId()),
  },
  memberInsights('insights-zipf', 'premium owners by the Zipf law', (ctx) => premiumOwnerPicker(ctx, new Rng(ctx.dataset.shape.seed, 'req-insights-zipf'))),
  memberInsights('insights-celebrity', 'the celebrity', () => () => celebrityId()),
  {
    id: 'webhooks',
    title: `Webhook delivery to a local receiver, ${WEBHOOK_RATE.toLocaleString('en-US')} visits/s recorded (latency from acknowledgement to receipt)`,
    server: 'app',
    kind: 'write',
    sustained: true,
    env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' },
    requests: () => () => ({ method: 'GET', path: '/healthz' }),
    custom: runWebhooks,
  },
  {
    id: 'feed',
    title: `${FEED_CONNECTIONS.toLocaleString('en-US')} open live-feed connections, GET /v1/visits/stream (RSS growth)`,
    server: 'app',
    kind: 'write',
    requests: () => () => ({ method: 'GET', path: '/healthz' }),
    custom: (ctx, run) => runFeed(ctx, run),
  },
];
