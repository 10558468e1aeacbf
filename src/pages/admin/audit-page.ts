/**
 * The console's audit log (docs/pages.md): the entries of GET /v1/audit (who, when, what, on
 * what, and the entry's small facts), newest first, 50 a page. Entries never hold a secret
 * (docs/privacy-controls.md), so the page shows them as recorded; reading it is not audited.
 */
import type { FastifyRequest } from 'fastify';
import { listAuditNewestFirst, type AuditCursor, type AuditEntry } from '../../core/index.js';
import { html, type Html } from '../html.js';
import type { AdminExtension } from './routes.js';
import { ADMIN_PATH } from './session.js';

const BASE = `${ADMIN_PATH}/audit`;
export const AUDIT_PAGE_SIZE = 50;
/** Details longer than this are cut on the page (the API has them whole). */
const DETAILS_MAX = 300;

export const auditExtension: AdminExtension = {
  nav: { href: BASE, label: 'Audit log', section: 'audit' },
  routes: (app, { ctx, page }) => {
    app.get(BASE, { schema: { hide: true } }, async (request, reply) => {
      const before = cursorOf(request);
      const r = await listAuditNewestFirst(app.core, ctx(request).workspace, before, AUDIT_PAGE_SIZE);
      return page(reply, request, 'audit', 'Audit log', auditContent(r.entries, before !== null, r.next));
    });
  },
};

/** `before=<at>.<id>`: the last entry of the previous page; anything else is the first page. */
function cursorOf(request: FastifyRequest): AuditCursor | null {
  const m = /^(\d{1,15})\.(\d{1,15})$/.exec(String((request.query as { before?: unknown }).before ?? ''));
  return m ? { at: Number(m[1]), id: Number(m[2]) } : null;
}

function details(d: AuditEntry['details']): string {
  if (d === null) return '';
  const text = Object.entries(d)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('; ');
  return text.length > DETAILS_MAX ? `${text.slice(0, DETAILS_MAX - 1)}…` : text;
}

export function auditContent(entries: AuditEntry[], older: boolean, next: AuditCursor | null): Html {
  const pager = html`<p class="pager">${older ? html`<a href="${BASE}">Newest entries</a>` : ''}${older && next ? ' · ' : ''}${next ? html`<a href="${BASE}?before=${next.at}.${next.id}" rel="next">Older entries</a>` : ''}</p>`;
  if (entries.length === 0) return html`<p id="no-entries">${older ? 'No older entry.' : 'Nothing recorded yet: admin actions (keys, settings, members, blocks, webhooks, purges) appear here.'}</p>${older ? pager : ''}`;
  return html`<p class="summary">Admin actions, newest first: the key that acted (none for the command line), when, what, and on what. The same entries as <code>GET /v1/audit</code>.</p>
<div class="table-scroll"><table class="data" id="audit">
<thead><tr><th scope="col">Time</th><th scope="col">Actor key</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Details</th></tr></thead>
<tbody>${entries.map((e) => {
    const iso = new Date(e.at).toISOString();
    return html`<tr data-entry="${e.id}"><td><time datetime="${iso}">${iso.slice(0, 19).replace('T', ' ')} UTC</time></td><td class="actor">${e.actorKeyId ?? html`<span class="hint">command line</span>`}</td><td class="action">${e.action}</td><td class="target">${e.target}</td><td class="details">${details(e.details)}</td></tr>`;
  })}</tbody></table></div>
${pager}`;
}
