/**
 * The member page (docs/pages.md): GET /embed/visitors?token=… and the fragments its script
 * loads. Every read goes through the same use case as the API (`listViewers`), for the member
 * the link names, in the workspace it names; the link is the only credential accepted here.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError, getMember, historyDays, listViewers, type Workspace } from '../core/index.js';
import { pageInsights, trendJson } from './embed-insights.js';
import { liveFeedOf, serveLiveStream, streamUrl } from './embed-live.js';
import { useErrorPresenter } from '../http/errors.js';
import { readEmbedToken } from './embed-token.js';
import { embedPage, viewerRows, type EmbedView } from './embed-page.js';
import { errorPage } from './layout.js';
import { presentHtmlError } from './html-errors.js';
import { sendPage } from './security.js';
import type { Signer } from './signing.js';

export const EMBED_PATH = '/embed/visitors';
export const EMBED_PAGE_SIZE = 20;

const Query = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 4096 }),
  offset: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 }),
});

export interface EmbedRoutesOptions {
  signer: Signer;
  /** Extra parts of the page that other features provide (the trend, breakdowns, live feed). */
  extras?: EmbedExtras;
}

/** What optional features add to the page, for the member and workspace of a valid link. */
export interface EmbedExtras {
  (input: { workspace: Workspace; memberId: string; token: string; query: Record<string, unknown> }): Promise<Partial<Pick<EmbedView, 'trend' | 'breakdowns' | 'liveSrc'>>>;
}

export function embedUrl(token: string, offset = 0, days?: number): string {
  return `${EMBED_PATH}?token=${encodeURIComponent(token)}${offset > 0 ? `&offset=${offset}` : ''}${days ? `&days=${days}` : ''}`;
}

export async function embedRoutes(fastify: FastifyInstance, opts: EmbedRoutesOptions) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  useErrorPresenter(app, presentHtmlError);
  const deps = app.core;

  /** The link's workspace and member, or a 401 page sent (forged, expired, unknown workspace). */
  async function grantOf(reply: FastifyReply, token: string): Promise<{ workspace: Workspace; memberId: string } | null> {
    const read = readEmbedToken(opts.signer, token, deps.clock.now());
    const workspace = read ? await deps.store.workspaces.get(read.grant.workspaceId) : undefined;
    if (!read || !workspace || read.expired) {
      const message = read?.expired
        ? 'This link has expired. Open the page again from the app to get a new one.'
        : 'This link is not valid. Open the page again from the app.';
      sendPage(reply, 401, errorPage('This link is not valid', message), workspace?.settings.framingOrigins ?? []);
      return null;
    }
    return { workspace, memberId: read.grant.memberId };
  }

  app.get(EMBED_PATH, { schema: { hide: true, querystring: Type.Intersect([Query, Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })) })]) } }, async (request, reply) => {
    const { token, offset, days } = request.query;
    const grant = await grantOf(reply, token);
    if (!grant) return reply;
    const { workspace, memberId } = grant;
    const frame = workspace.settings.framingOrigins;
    let page;
    try {
      page = await listViewers(deps, workspace, { ownerId: memberId, offset, limit: EMBED_PAGE_SIZE, withDegrees: true });
    } catch (err) {
      if (err instanceof AppError && (err.code === 'not_found' || err.code === 'private_mode_forbidden')) {
        const status = err.code === 'not_found' ? 404 : 403;
        const message = err.code === 'not_found' ? 'This profile no longer exists.' : err.message;
        return sendPage(reply, status, errorPage('Who viewed your profile', message, workspace.settings.accentColor), frame);
      }
      throw err;
    }
    const nextOffset = offset + EMBED_PAGE_SIZE < page.total ? offset + EMBED_PAGE_SIZE : null;
    const insights = await pageInsights(deps, workspace, page.owner, days, {
      page: (d) => embedUrl(token, 0, d),
      json: (d) => `${EMBED_PATH}/trend?token=${encodeURIComponent(token)}&days=${d}`,
    });
    const extras = opts.extras ? await opts.extras({ workspace, memberId, token, query: request.query as Record<string, unknown> }) : {};
    const body = embedPage({
      workspace,
      owner: page.owner,
      page,
      now: deps.clock.now(),
      historyDays: historyDays(page.owner, workspace.settings),
      next: nextOffset === null ? null : { rows: rowsUrl(token, nextOffset), page: embedUrl(token, nextOffset, days) },
      ...insights,
      liveSrc: liveFeedOf(app) ? streamUrl(EMBED_PATH, token) : null,
      ...extras,
    });
    return sendPage(reply, 200, body, frame);
  });

  app.get(`${EMBED_PATH}/rows`, { schema: { hide: true, querystring: Query } }, async (request, reply) => {
    const { token, offset } = request.query;
    const grant = await grantOf(reply, token);
    if (!grant) return reply;
    const page = await listViewers(deps, grant.workspace, { ownerId: grant.memberId, offset, limit: EMBED_PAGE_SIZE, withDegrees: true });
    const nextOffset = offset + EMBED_PAGE_SIZE < page.total ? offset + EMBED_PAGE_SIZE : null;
    if (nextOffset !== null) reply.header('x-next-rows', rowsUrl(token, nextOffset)).header('x-next-page', embedUrl(token, nextOffset));
    return sendPage(reply, 200, viewerRows(page.viewers, deps.clock.now()), grant.workspace.settings.framingOrigins);
  });

  // The live badge's events (embed-live.ts); a 404 when this server has no live feed.
  app.get(`${EMBED_PATH}/stream`, { schema: { hide: true, querystring: Type.Object({ token: Query.properties.token }) } }, async (request, reply) => {
    const feed = liveFeedOf(app);
    if (!feed) throw new AppError('not_found', 'this server has no live feed');
    const grant = await grantOf(reply, request.query.token);
    if (!grant) return reply;
    await getMember(deps, grant.workspace, grant.memberId);
    reply.hijack();
    await serveLiveStream(feed, reply.raw, request.raw, grant.workspace.id, grant.memberId);
  });

  // The range buttons' data: the same series as GET /v1/members/:id/insights?range=<days>d.
  app.get(
    `${EMBED_PATH}/trend`,
    { schema: { hide: true, querystring: Type.Object({ token: Query.properties.token, days: Type.Integer({ minimum: 1, maximum: 3650 }) }) } },
    async (request, reply) => {
      const grant = await grantOf(reply, request.query.token);
      if (!grant) return reply;
      const owner = await getMember(deps, grant.workspace, grant.memberId);
      const body = await trendJson(deps, grant.workspace, owner, request.query.days);
      if (body === undefined) return reply.status(503).header('cache-control', 'no-store').send({ error: 'insights are being built; try again shortly' });
      if (!body) return reply.status(403).header('cache-control', 'no-store').send({ error: 'this range is beyond the plan\'s history' });
      return reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff').send(body);
    },
  );
}

function rowsUrl(token: string, offset: number): string {
  return `${EMBED_PATH}/rows?token=${encodeURIComponent(token)}&offset=${offset}`;
}
