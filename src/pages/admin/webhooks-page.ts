/**
 * The console's webhooks pages (docs/pages.md): the workspace's endpoints, each endpoint's
 * delivery log with every attempt, and the buttons that act on them (enable, disable, retry a
 * message, replay a window). A thin translator: every read and change is the webhooks service's,
 * the same calls as the API's routes (http/native/webhook-routes.ts), so the delivery rules
 * (docs/webhooks.md) live there only. Changes are audited as the session's admin key.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, recordAudit, type CoreDeps } from '../../core/index.js';
import type { Delivery, WebhookService } from '../../webhooks/service.js';
import type { MessageStatus, WebhookAttempt, WebhookEndpoint } from '../../webhooks/types.js';
import { html, type Html } from '../html.js';
import type { AdminExtension, AdminHelpers } from './routes.js';
import { ADMIN_PATH } from './session.js';
import { csrfField, type Frame } from './views.js';

const BASE = `${ADMIN_PATH}/webhooks`;
/** How many of an endpoint's most recent messages the log shows. */
export const DELIVERY_LOG_LIMIT = 50;
const STATUSES: readonly MessageStatus[] = ['pending', 'delivered', 'failed', 'cancelled'];

type Form = Record<string, string>;

/** The console section, when the app has the webhooks feature (buildApp always decorates it). */
export const webhooksExtension: AdminExtension = {
  nav: { href: BASE, label: 'Webhooks', section: 'webhooks' },
  routes: (app, helpers) => {
    const service = (app as unknown as { webhooks?: WebhookService }).webhooks;
    if (service) webhookRoutes(app, helpers, service);
  },
};

function webhookRoutes(app: FastifyInstance, { ctx, page }: AdminHelpers, service: WebhookService) {
  const deps: CoreDeps = app.core;
  const audit = (request: FastifyRequest, action: 'webhook.updated' | 'webhook.retried' | 'webhook.replayed', target: string, details: Record<string, unknown>) =>
    recordAudit(deps, ctx(request).workspace, { keyId: ctx(request).key.id }, action, target, details);

  const endpointPage = async (request: FastifyRequest, reply: FastifyReply, id: string, flash?: Frame['flash'], status = 200) => {
    const c = ctx(request);
    const q = request.query as { status?: string };
    const only = STATUSES.find((s) => s === q.status);
    const endpoint = await service.get(c.workspace.id, id);
    const deliveries = await service.deliveries(c.workspace.id, id, { limit: DELIVERY_LOG_LIMIT, ...(only ? { status: only } : {}) });
    return page(reply, request, 'webhooks', 'Webhook endpoint', endpointContent(c.csrf, endpoint, deliveries, only ?? null), flash ?? flashOf(request), status);
  };

  app.get(BASE, { schema: { hide: true } }, async (request, reply) => {
    const c = ctx(request);
    return page(reply, request, 'webhooks', 'Webhooks', endpointsContent(c.csrf, await service.list(c.workspace.id)), flashOf(request));
  });

  app.get(`${BASE}/:endpointId`, { schema: { hide: true } }, async (request, reply) =>
    endpointPage(request, reply, (request.params as { endpointId: string }).endpointId),
  );

  for (const enabled of [true, false]) {
    app.post(`${BASE}/:endpointId/${enabled ? 'enable' : 'disable'}`, { schema: { hide: true } }, async (request, reply) => {
      const id = (request.params as { endpointId: string }).endpointId;
      await service.update(ctx(request).workspace.id, id, { enabled });
      await audit(request, 'webhook.updated', id, { enabled });
      const done = enabled ? 'enabled' : 'disabled';
      // Back to the page the button was on.
      const from = ((request.body ?? {}) as Form).from === 'list' ? BASE : `${BASE}/${encodeURIComponent(id)}`;
      return reply.redirect(`${from}?done=${done}`, 303);
    });
  }

  app.post(`${BASE}/:endpointId/deliveries/:messageId/retry`, { schema: { hide: true } }, async (request, reply) => {
    const { endpointId, messageId } = request.params as { endpointId: string; messageId: string };
    await service.retry(ctx(request).workspace.id, endpointId, messageId);
    await audit(request, 'webhook.retried', endpointId, { messageId });
    return reply.redirect(`${BASE}/${encodeURIComponent(endpointId)}?done=retried#${encodeURIComponent(messageId)}`, 303);
  });

  app.post(`${BASE}/:endpointId/replay`, { schema: { hide: true } }, async (request, reply) => {
    const id = (request.params as { endpointId: string }).endpointId;
    const form = (request.body ?? {}) as Form;
    let replayed: number;
    let since: number;
    let until: number;
    try {
      since = utcInput(form.since, 'since');
      until = utcInput(form.until, 'until');
      replayed = await service.replay(ctx(request).workspace.id, id, since, until);
    } catch (err) {
      if (err instanceof AppError && err.code === 'invalid_input') return endpointPage(request, reply, id, { text: err.message, error: true }, 400);
      throw err;
    }
    await audit(request, 'webhook.replayed', id, { since, until, replayed });
    return reply.redirect(`${BASE}/${encodeURIComponent(id)}?done=replayed&n=${replayed}`, 303);
  });
}

function flashOf(request: FastifyRequest): Frame['flash'] {
  const q = request.query as { done?: string; n?: string };
  switch (q.done) {
    case 'enabled':
      return { text: 'Endpoint enabled: its waiting messages are being sent.' };
    case 'disabled':
      return { text: 'Endpoint disabled: its messages wait until it is enabled again.' };
    case 'retried':
      return { text: 'Message queued again: it is sent now, its schedule restarted.' };
    case 'replayed': {
      const n = Number(q.n);
      return { text: Number.isSafeInteger(n) && n >= 0 ? `${n} message${n === 1 ? '' : 's'} queued again.` : 'Messages queued again.' };
    }
    default:
      return undefined;
  }
}

/** A `datetime-local` value read as UTC (the page says so), in epoch ms. */
function utcInput(raw: string | undefined, field: string): number {
  const v = (raw ?? '').trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(v);
  const t = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0)) : NaN;
  // Date.UTC rolls 2026-02-31 over into March and reads years below 100 as 19xx: a value that
  // does not come back as written is refused rather than guessed.
  const exact = m !== null && Number.isFinite(t) && t >= 0 && new Date(t).toISOString().slice(0, 19) === `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}`;
  if (!exact) throw new AppError('invalid_input', `${field} must be a date and time like 2026-11-01T12:00 (UTC)`, { field });
  return t;
}

/** A datetime-local value (UTC, to the second) of an epoch ms, rounded down or up. */
function toUtcInput(t: number, round: 'down' | 'up'): string {
  const s = round === 'down' ? Math.floor(t / 1000) : Math.ceil((t + 1) / 1000);
  return new Date(s * 1000).toISOString().slice(0, 19);
}

function stamp(t: number | null): Html {
  if (t === null) return html``;
  const iso = new Date(t).toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace('T', ' ')} UTC</time>`;
}

function stateOf(e: WebhookEndpoint): Html {
  if (e.enabled) return html`<span class="ok">enabled</span>${e.failingSince !== null ? html`<span class="hint">failing since ${stamp(e.failingSince)}</span>` : ''}`;
  return html`<span class="bad">disabled</span><span class="hint">${e.disabledReason ?? ''}${e.disabledAt !== null ? html`, ${stamp(e.disabledAt)}` : ''}</span>`;
}

function toggle(csrf: string, e: WebhookEndpoint, from: 'list' | 'endpoint'): Html {
  const action = e.enabled ? 'disable' : 'enable';
  return html`<form class="inline" method="post" action="${BASE}/${encodeURIComponent(e.id)}/${action}">${csrfField(csrf)}<input type="hidden" name="from" value="${from}"><button type="submit" class="${e.enabled ? 'danger' : 'quiet'}">${e.enabled ? 'Disable' : 'Enable'}<span class="visually-hidden"> ${e.url}</span></button></form>`;
}

export function endpointsContent(csrf: string, endpoints: WebhookEndpoint[]): Html {
  if (endpoints.length === 0) {
    return html`<p>No webhook endpoint yet. Endpoints are created through the API (<code>POST /v1/webhooks</code>), which shows their signing secret once.</p>`;
  }
  return html`<p class="summary">Signed messages (Standard Webhooks) sent to these URLs. Open an endpoint for its delivery log, retries and replays.</p>
<div class="table-scroll"><table class="data" id="endpoints">
<thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${endpoints.map(
    (e) => html`<tr data-endpoint="${e.id}"><td><a href="${BASE}/${encodeURIComponent(e.id)}" class="url">${e.url}</a>${e.description ? html`<span class="hint">${e.description}</span>` : ''}<span class="hint">${e.id}</span></td>
<td>${e.events.join(', ')}</td><td class="state">${stateOf(e)}</td><td>${toggle(csrf, e, 'list')}</td></tr>`,
  )}</tbody></table></div>`;
}

function attemptOutcome(a: WebhookAttempt): Html {
  if (a.statusCode !== null) {
    const good = a.statusCode >= 200 && a.statusCode < 300;
    // The worker's error for a status is "HTTP <status>": said once.
    const error = a.error && a.error !== `HTTP ${a.statusCode}` ? a.error : null;
    return html`<span class="${good ? 'ok' : 'bad'}">HTTP ${a.statusCode}</span>${error ? html` (${error})` : ''}`;
  }
  return html`<span class="bad">${a.error ?? 'no response'}</span>`;
}

function deliveryRow(csrf: string, endpointId: string, d: Delivery): Html {
  return html`<tr id="${d.id}" data-message="${d.id}" data-status="${d.status}"><td>${d.id}<span class="hint">${d.event}, created ${stamp(d.createdAt)}</span></td>
<td class="status"><span class="${d.status === 'delivered' ? 'ok' : d.status === 'failed' ? 'bad' : ''}">${d.status}</span>${d.status === 'pending' && d.nextAttemptAt !== null ? html`<span class="hint">next attempt ${stamp(d.nextAttemptAt)}</span>` : ''}</td>
<td>${d.attemptList.length === 0 ? html`<span class="hint">none yet</span>` : html`<ol class="attempts">${d.attemptList.map(
    (a) => html`<li data-attempt="${a.n}">${stamp(a.attemptedAt)}: ${attemptOutcome(a)}, in ${a.durationMs} ms</li>`,
  )}</ol>`}</td>
<td><form class="inline" method="post" action="${BASE}/${encodeURIComponent(endpointId)}/deliveries/${encodeURIComponent(d.id)}/retry">${csrfField(csrf)}<button type="submit" class="quiet">Retry<span class="visually-hidden"> ${d.id}</span></button></form></td></tr>`;
}

export function endpointContent(csrf: string, e: WebhookEndpoint, deliveries: Delivery[], only: MessageStatus | null): Html {
  const oldest = deliveries.length > 0 ? Math.min(...deliveries.map((d) => d.createdAt)) : null;
  const newest = deliveries.length > 0 ? Math.max(...deliveries.map((d) => d.createdAt)) : null;
  const here = `${BASE}/${encodeURIComponent(e.id)}`;
  return html`<p><a href="${BASE}">All endpoints</a></p>
<div class="table-scroll"><table class="data" id="endpoint" data-endpoint="${e.id}">
<tr><th scope="row">URL</th><td class="url">${e.url}</td></tr>
${e.description ? html`<tr><th scope="row">Description</th><td>${e.description}</td></tr>` : ''}
<tr><th scope="row">Id</th><td>${e.id}</td></tr>
<tr><th scope="row">Events</th><td>${e.events.join(', ')}</td></tr>
<tr><th scope="row">State</th><td class="state">${stateOf(e)} ${toggle(csrf, e, 'endpoint')}</td></tr>
<tr><th scope="row">Created</th><td>${stamp(e.createdAt)}</td></tr>
</table></div>
<h2>Replay</h2>
<p class="hint">Sends again every message to this endpoint created in the window (UTC; the end is excluded), whatever became of it, with the same webhook-id. The window starts filled with the messages listed below.</p>
<form class="inline" method="post" action="${here}/replay" id="replay">
${csrfField(csrf)}
<label for="since">From</label><input id="since" name="since" type="datetime-local" step="1" required value="${oldest !== null ? toUtcInput(oldest, 'down') : ''}">
<label for="until">until</label><input id="until" name="until" type="datetime-local" step="1" required value="${newest !== null ? toUtcInput(newest, 'up') : ''}">
<button type="submit">Replay</button>
</form>
<h2>Delivery log</h2>
<p class="filters">Show: ${[null, ...STATUSES].map((st, i) => html`${i > 0 ? ' · ' : ''}<a href="${here}${st ? `?status=${st}` : ''}"${st === only ? html` aria-current="page"` : ''}>${st ?? 'every message'}</a>`)} · <a href="${here}${only ? `?status=${only}` : ''}">Reload</a></p>
${deliveries.length === 0
    ? html`<p id="no-deliveries">No ${only ?? ''} message to this endpoint yet.</p>`
    : html`<p class="hint">The ${DELIVERY_LOG_LIMIT} most recent ${only ?? ''} messages, newest first, each with every attempt. Retry sends one again now, with its schedule restarted.</p>
<div class="table-scroll"><table class="data" id="deliveries">
<thead><tr><th scope="col">Message</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${deliveries.map((d) => deliveryRow(csrf, e.id, d))}</tbody></table></div>`}`;
}
