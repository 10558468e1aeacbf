/**
 * The admin console (docs/pages.md): /admin and its pages. Every change goes through the same
 * use cases as the API; this file only turns forms into their inputs and results into pages.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AppError,
  countMembers,
  createApiKey,
  recordAudit,
  getMember,
  listApiKeys,
  revokeApiKey,
  searchMembers,
  setApiKeyCredits,
  updateWorkspaceSettings,
  type ApiKey,
  type Workspace,
} from '../../core/index.js';
import { DEFAULT_STATUS, toAppError } from '../../http/errors.js';
import { html, type Html } from '../html.js';
import { EMBED_TTL_DEFAULT_S, mintEmbedToken } from '../embed-token.js';
import { embedUrl } from '../embed-routes.js';
import { errorPage } from '../layout.js';
import { sendPage } from '../security.js';
import { DEFAULT_TREND_DAYS, TREND_DAYS } from '../embed-insights.js';
import { workspaceOverview } from './overview.js';
import type { Signer } from '../signing.js';
import {
  ADMIN_PATH,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  SIGNIN_COOKIE,
  checkCsrf,
  cookiesOf,
  csrfToken,
  newSession,
  readSession,
  setCookie,
  type AdminSession,
} from './session.js';
import { adminPage, keysContent, membersContent, overviewContent, settingsContent, signInPage, type Frame } from './views.js';

export interface AdminContext {
  workspace: Workspace;
  key: ApiKey;
  session: AdminSession;
  csrf: string;
}

/** What other features add to the console: navigation entries, overview parts, their own routes. */
export interface AdminExtension {
  nav?: { href: string; label: string; section: string };
  overview?: (ctx: AdminContext) => Promise<Html>;
  routes?: (app: FastifyInstance, helpers: AdminHelpers) => void;
}

export interface AdminHelpers {
  /** The signed-in admin of a request (the console's hook ran), never null inside the console. */
  ctx(request: FastifyRequest): AdminContext;
  page(reply: FastifyReply, request: FastifyRequest, section: string, title: string, content: Html, flash?: Frame['flash'], status?: number): FastifyReply;
}

declare module 'fastify' {
  interface FastifyRequest {
    adminContext: AdminContext | null;
  }
}

const DONE: Record<string, string> = {
  revoked: 'Key revoked.',
  credits: 'Credits updated.',
  settings: 'Settings saved.',
};

type Form = Record<string, string>;

export async function adminRoutes(app: FastifyInstance, opts: { signer: Signer; extensions?: AdminExtension[] }) {
  const { signer } = opts;
  const deps = app.core;
  const extensions = opts.extensions ?? [];
  const extraNav = extensions.flatMap((e) => (e.nav ? [e.nav] : []));

  // Forms post as application/x-www-form-urlencoded; the rest of the service reads JSON only.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.decorateRequest('adminContext', null);

  app.setErrorHandler((err, request, reply) => {
    const e = toAppError(err, request);
    if (e.code === 'internal') request.log.error({ err }, 'admin request failed');
    const status = DEFAULT_STATUS[e.code];
    return sendPage(reply, status, errorPage('Admin console', status >= 500 ? 'Something went wrong on our side.' : e.message));
  });

  const signedOut = (reply: FastifyReply) => reply.redirect(`${ADMIN_PATH}/sign-in`, 303);

  // Every console route but sign-in needs a live session of an active admin key; every POST a
  // CSRF token of that session.
  app.addHook('preHandler', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (path === `${ADMIN_PATH}/sign-in`) return;
    const session = readSession(signer, cookiesOf(request)[SESSION_COOKIE], deps.clock.now());
    const key = session ? await deps.store.keys.get(session.workspaceId, session.keyId) : undefined;
    const workspace = key && key.revokedAt === null && key.role === 'admin' ? await deps.store.workspaces.get(key.workspaceId) : undefined;
    if (!session || !key || !workspace) {
      if (request.method === 'GET') return signedOut(reply);
      return sendPage(reply, 401, errorPage('Signed out', 'Your session has ended. Sign in again.'));
    }
    const csrf = csrfToken(signer, session.nonce);
    if (request.method === 'POST' && !checkCsrf(signer, session.nonce, (request.body as Form | undefined)?._csrf)) {
      return sendPage(reply, 403, errorPage('Form refused', 'This form did not come from this console session (missing or wrong CSRF token). Reload the page and try again.'));
    }
    request.adminContext = { workspace, key, session, csrf };
  });

  const ctx = (request: FastifyRequest): AdminContext => request.adminContext!;
  /** Console actions are audited as made by the key the session was opened with. */
  const actor = (request: FastifyRequest) => ({ keyId: ctx(request).key.id });
  const page: AdminHelpers['page'] = (reply, request, section, title, content, flash, status = 200) => {
    const c = ctx(request);
    return sendPage(reply, status, adminPage({ workspace: c.workspace, csrf: c.csrf, flash, extraNav }, section, title, content));
  };
  const flashOf = (request: FastifyRequest) => {
    const done = (request.query as { done?: string }).done;
    return done && Object.hasOwn(DONE, done) ? { text: DONE[done]! } : undefined;
  };

  // Sign in: the page sets a nonce cookie and the form carries its CSRF token.
  app.get(`${ADMIN_PATH}/sign-in`, { schema: { hide: true } }, async (request, reply) => {
    const nonce = randomBytes(16).toString('base64url');
    setCookie(reply, request, SIGNIN_COOKIE, nonce, 3600);
    return sendPage(reply, 200, signInPage(csrfToken(signer, `signin:${nonce}`)));
  });

  app.post(`${ADMIN_PATH}/sign-in`, { schema: { hide: true } }, async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    const nonce = cookiesOf(request)[SIGNIN_COOKIE];
    if (!nonce || !checkCsrf(signer, `signin:${nonce}`, form._csrf)) {
      return sendPage(reply, 403, errorPage('Form refused', 'This sign-in form did not come from this console. Reload the sign-in page and try again.'));
    }
    const retry = (message: string) => sendPage(reply, 401, signInPage(csrfToken(signer, `signin:${nonce}`), message));
    let principal;
    try {
      principal = await app.authenticator.authenticate((form.key ?? '').trim() || undefined);
    } catch {
      return retry('That key is not a valid API key.');
    }
    if (principal.key.role !== 'admin') return retry('That is a member key: the console needs an admin key.');
    const { cookie } = newSession(signer, principal.key.id, principal.workspace.id, deps.clock.now());
    setCookie(reply, request, SESSION_COOKIE, cookie, Math.floor(SESSION_TTL_MS / 1000));
    setCookie(reply, request, SIGNIN_COOKIE, '', 0);
    return reply.redirect(ADMIN_PATH, 303);
  });

  app.post(`${ADMIN_PATH}/sign-out`, { schema: { hide: true } }, async (request, reply) => {
    setCookie(reply, request, SESSION_COOKIE, '', 0);
    return signedOut(reply);
  });

  app.get(ADMIN_PATH, { schema: { hide: true } }, async (request, reply) => {
    const c = ctx(request);
    const days = Number((request.query as { days?: string }).days);
    const [members, keys, insights] = await Promise.all([
      countMembers(deps, c.workspace),
      listApiKeys(deps, c.workspace),
      workspaceOverview(deps, c.workspace, TREND_DAYS.includes(days as 30) ? days : DEFAULT_TREND_DAYS),
    ]);
    const extra = html`${insights}${await Promise.all(extensions.flatMap((e) => (e.overview ? [e.overview(c)] : [])))}`;
    const body = adminPage({ workspace: c.workspace, csrf: c.csrf, flash: flashOf(request), extraNav }, 'overview', 'Overview', overviewContent({ workspace: c.workspace, members, keys, extra }), {
      scripts: ['uplot.js', 'embed.js'],
      styles: ['uplot.css'],
    });
    return sendPage(reply, 200, body);
  });

  app.get(`${ADMIN_PATH}/members`, { schema: { hide: true } }, async (request, reply) => {
    const q = String((request.query as { q?: unknown }).q ?? '').slice(0, 128);
    const results = q.trim() === '' ? null : await searchMembers(deps, ctx(request).workspace, q);
    return page(reply, request, 'members', 'Members', membersContent(q, results));
  });

  // A member's page as they see it: a fresh short link, opened at once.
  app.get(`${ADMIN_PATH}/members/:memberId/page`, { schema: { hide: true } }, async (request, reply) => {
    const c = ctx(request);
    const { memberId } = request.params as { memberId: string };
    await getMember(deps, c.workspace, memberId);
    const token = mintEmbedToken(signer, { workspaceId: c.workspace.id, memberId, exp: deps.clock.now() + EMBED_TTL_DEFAULT_S * 1000 });
    return reply.redirect(embedUrl(token), 303);
  });

  const keysPage = async (request: FastifyRequest, reply: FastifyReply, flash?: Frame['flash'], created?: { key: ApiKey; secret: string }, status = 200) => {
    const c = ctx(request);
    return page(reply, request, 'keys', 'API keys', keysContent(c.csrf, await listApiKeys(deps, c.workspace), created), flash, status);
  };

  app.get(`${ADMIN_PATH}/keys`, { schema: { hide: true } }, async (request, reply) => keysPage(request, reply, flashOf(request)));

  // Created: answered directly (no redirect), so the secret is in this one response only.
  app.post(`${ADMIN_PATH}/keys`, { schema: { hide: true } }, async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    try {
      const role = form.role === 'admin' ? 'admin' : 'member';
      const created = await createApiKey(deps, ctx(request).workspace, {
        role,
        memberId: role === 'member' ? (form.memberId ?? '').trim() || null : null,
        name: (form.name ?? '').trim() || null,
        credits: creditsOf(form.credits),
      });
      const k = created.key;
      await recordAudit(deps, ctx(request).workspace, actor(request), 'key.created', k.id, { role: k.role, memberId: k.memberId, credits: k.credits });
      return keysPage(request, reply, undefined, created, 201);
    } catch (err) {
      if (err instanceof AppError && err.code !== 'internal') return keysPage(request, reply, { text: err.message, error: true }, undefined, 400);
      throw err;
    }
  });

  app.post(`${ADMIN_PATH}/keys/:keyId/revoke`, { schema: { hide: true } }, async (request, reply) => {
    const keyId = (request.params as { keyId: string }).keyId;
    await revokeApiKey(deps, ctx(request).workspace, keyId);
    await recordAudit(deps, ctx(request).workspace, actor(request), 'key.revoked', keyId);
    app.authenticator.forget();
    return reply.redirect(`${ADMIN_PATH}/keys?done=revoked`, 303);
  });

  app.post(`${ADMIN_PATH}/keys/:keyId/credits`, { schema: { hide: true } }, async (request, reply) => {
    try {
      const key = await setApiKeyCredits(deps, ctx(request).workspace, (request.params as { keyId: string }).keyId, creditsOf(((request.body ?? {}) as Form).credits));
      await recordAudit(deps, ctx(request).workspace, actor(request), 'key.credits_set', key.id, { credits: key.credits });
    } catch (err) {
      if (err instanceof AppError && err.code === 'invalid_input') return keysPage(request, reply, { text: err.message, error: true }, undefined, 400);
      throw err;
    }
    return reply.redirect(`${ADMIN_PATH}/keys?done=credits`, 303);
  });

  app.get(`${ADMIN_PATH}/settings`, { schema: { hide: true } }, async (request, reply) => {
    const c = ctx(request);
    return page(reply, request, 'settings', 'Settings', settingsContent(c.csrf, c.workspace), flashOf(request));
  });

  app.post(`${ADMIN_PATH}/settings`, { schema: { hide: true } }, async (request, reply) => {
    const c = ctx(request);
    const form = (request.body ?? {}) as Form;
    try {
      const patch = settingsPatch(form);
      await updateWorkspaceSettings(deps, c.workspace, patch);
      await recordAudit(deps, c.workspace, actor(request), 'settings.updated', c.workspace.id, { changed: patch });
    } catch (err) {
      if (err instanceof AppError && err.code === 'invalid_input') {
        return page(reply, request, 'settings', 'Settings', settingsContent(c.csrf, c.workspace), { text: err.message, error: true }, 400);
      }
      throw err;
    }
    app.authenticator.forget();
    return reply.redirect(`${ADMIN_PATH}/settings?done=settings`, 303);
  });

  for (const e of extensions) e.routes?.(app, { ctx, page });
}

/** Empty means unlimited; anything else must be a whole number (the use case checks the range). */
function creditsOf(raw: string | undefined): number | null {
  const v = (raw ?? '').trim();
  if (v === '') return null;
  if (!/^\d{1,16}$/.test(v)) throw new AppError('invalid_input', 'credits must be a whole number, or empty for unlimited', { field: 'credits' });
  return Number(v);
}

/** The settings form as the API's patch: the use case checks every value. */
function settingsPatch(form: Form): Record<string, unknown> {
  const int = (name: string, label: string) => {
    const v = (form[name] ?? '').trim();
    if (!/^\d{1,10}$/.test(v)) throw new AppError('invalid_input', `${label} must be a whole number`, { field: name });
    return Number(v);
  };
  return {
    dedupWindowMs: int('dedupWindowMinutes', 'Dedup window') * 60_000,
    freeHistoryDays: int('freeHistoryDays', 'Free history'),
    premiumHistoryDays: int('premiumHistoryDays', 'Premium history'),
    freeFullViewers: int('freeFullViewers', 'Viewers in full'),
    retentionDays: int('retentionDays', 'Retention'),
    pageName: (form.pageName ?? '').trim() || null,
    accentColor: (form.accentColor ?? '').trim(),
    logoUrl: (form.logoUrl ?? '').trim() || null,
    framingOrigins: (form.framingOrigins ?? '').split(/[\r\n]+/).map((s) => s.trim()).filter(Boolean),
  };
}
