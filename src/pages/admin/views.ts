/** The admin console's pages, as plain functions of what they show (escaped by `html`). */
import type { ApiKey, Member, Workspace } from '../../core/index.js';
import { html, type Html } from '../html.js';
import { shell } from '../layout.js';
import { ADMIN_PATH } from './session.js';

export type Section = 'overview' | 'members' | 'keys' | 'settings';

export interface Frame {
  workspace: Workspace;
  csrf: string;
  /** A message after a change ("Key revoked."), or an error to show. */
  flash?: { text: string; error?: boolean } | undefined;
  /** Sections other features add to the navigation (webhooks, audit log), when present. */
  extraNav?: Array<{ href: string; label: string; section: string }>;
}

const NAV: Array<{ section: Section; href: string; label: string }> = [
  { section: 'overview', href: ADMIN_PATH, label: 'Overview' },
  { section: 'members', href: `${ADMIN_PATH}/members`, label: 'Members' },
  { section: 'keys', href: `${ADMIN_PATH}/keys`, label: 'Keys' },
  { section: 'settings', href: `${ADMIN_PATH}/settings`, label: 'Settings' },
];

export function csrfField(csrf: string): Html {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`;
}

export function adminPage(f: Frame, section: string, title: string, content: Html, opts: { scripts?: Array<'embed.js' | 'uplot.js'>; styles?: Array<'uplot.css'> } = {}): string {
  const nav = [...NAV, ...(f.extraNav ?? [])];
  const body = html`<header class="brand"><span class="brand-name">profile-visitors · ${f.workspace.name}</span></header>
<nav class="admin" aria-label="Admin console">${nav.map(
    (n) => html`<a href="${n.href}"${n.section === section ? html` aria-current="page"` : ''}>${n.label}</a>`,
  )}<form method="post" action="${ADMIN_PATH}/sign-out">${csrfField(f.csrf)}<button type="submit" class="quiet">Sign out</button></form></nav>
<main id="main" class="wrap">
<h1>${title}</h1>
${f.flash ? html`<p class="flash${f.flash.error ? ' flash--error' : ''}" role="${f.flash.error ? 'alert' : 'status'}">${f.flash.text}</p>` : ''}
${content}
</main>`;
  return shell({ title: `${title} · admin · ${f.workspace.name}`, accentColor: f.workspace.settings.accentColor, body, ...opts });
}

export function signInPage(csrf: string, error?: string): string {
  const body = html`<main id="main" class="wrap">
<h1>Admin console</h1>
<p>Sign in with an admin API key of your workspace. The key is exchanged for a session that ends after 8 hours or when you sign out; it is not stored in your browser.</p>
${error ? html`<p class="flash flash--error" role="alert">${error}</p>` : ''}
<form class="stack" method="post" action="${ADMIN_PATH}/sign-in">
${csrfField(csrf)}
<label for="key">Admin API key</label>
<input id="key" name="key" type="password" autocomplete="off" required spellcheck="false">
<button type="submit">Sign in</button>
</form>
</main>`;
  return shell({ title: 'Sign in · admin', accentColor: '#0a66c2', body });
}

export function overviewContent(o: { workspace: Workspace; members: number; keys: ApiKey[]; extra?: Html }): Html {
  const active = o.keys.filter((k) => k.revokedAt === null);
  const s = o.workspace.settings;
  return html`<div class="grid">
<div class="card"><div class="stat">${o.members}</div>members</div>
<div class="card"><div class="stat">${active.filter((k) => k.role === 'admin').length}</div>active admin keys</div>
<div class="card"><div class="stat">${active.filter((k) => k.role === 'member').length}</div>active member keys</div>
</div>
${o.extra ?? ''}
<h2>Workspace</h2>
<div class="table-scroll"><table class="data">
<tr><th scope="row">Id</th><td>${o.workspace.id}</td></tr>
<tr><th scope="row">Created</th><td>${new Date(o.workspace.createdAt).toISOString()}</td></tr>
<tr><th scope="row">Dedup window</th><td>${Math.round(s.dedupWindowMs / 60_000)} minutes</td></tr>
<tr><th scope="row">History</th><td>free ${s.freeHistoryDays} days, premium ${s.premiumHistoryDays} days; free members see ${s.freeFullViewers} viewers in full</td></tr>
<tr><th scope="row">Retention</th><td>${s.retentionDays} days</td></tr>
<tr><th scope="row">Framing origins</th><td>${s.framingOrigins.length ? s.framingOrigins.join(', ') : 'none (the member page cannot be framed)'}</td></tr>
</table></div>`;
}

export function membersContent(q: string, results: Member[] | null): Html {
  return html`<form class="inline" method="get" action="${ADMIN_PATH}/members" role="search">
<label for="q">Member id or name</label>
<input id="q" name="q" type="search" value="${q}" maxlength="128">
<button type="submit">Search</button>
</form>
${results === null ? '' : results.length === 0 ? html`<p>No member matches “${q}”.</p>` : html`<div class="table-scroll"><table class="data" id="members">
<caption class="visually-hidden">Members matching ${q}</caption>
<thead><tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Plan</th><th scope="col">Browses</th><th scope="col"><span class="visually-hidden">Page</span></th></tr></thead>
<tbody>${results.map(
      (m) => html`<tr><td>${m.id}</td><td>${m.name ?? ''}</td><td>${m.plan}</td><td>${m.visibility}</td><td><a href="${ADMIN_PATH}/members/${encodeURIComponent(m.id)}/page">Open their page<span class="visually-hidden"> (${m.name ?? m.id})</span></a></td></tr>`,
    )}</tbody></table></div>`}`;
}

function when(t: number | null): string {
  return t === null ? '' : new Date(t).toISOString().replace('T', ' ').slice(0, 16);
}

export function keysContent(csrf: string, keys: ApiKey[], created?: { key: ApiKey; secret: string }): Html {
  return html`${created ? html`<div class="flash" role="status" id="new-key"><p><strong>Key ${created.key.id} created.</strong> Copy its secret now: it is shown only once.</p><code class="secret" id="new-secret">${created.secret}</code></div>` : ''}
<h2>Create a key</h2>
<form class="stack" method="post" action="${ADMIN_PATH}/keys">
${csrfField(csrf)}
<label for="role">Role</label>
<select id="role" name="role"><option value="member">member (acts for one member)</option><option value="admin">admin (the whole workspace)</option></select>
<label for="memberId">Member id <span class="hint">for a member key</span></label>
<input id="memberId" name="memberId" maxlength="128">
<label for="name">Name <span class="hint">optional, to recognise it</span></label>
<input id="name" name="name" maxlength="200">
<label for="credits">Credits <span class="hint">empty: unlimited</span></label>
<input id="credits" name="credits" inputmode="numeric" pattern="[0-9]*">
<button type="submit">Create key</button>
</form>
<h2>Keys</h2>
<div class="table-scroll"><table class="data" id="keys">
<thead><tr><th scope="col">Key</th><th scope="col">Role</th><th scope="col">Member</th><th scope="col">Credits</th><th scope="col">Created</th><th scope="col">Status</th></tr></thead>
<tbody>${keys.map(
    (k) => html`<tr data-key="${k.id}"><td>${k.id}${k.name ? html`<br><span class="hint">${k.name}</span>` : ''}</td><td>${k.role}</td><td>${k.memberId ?? ''}</td>
<td>${k.revokedAt === null ? html`<form class="inline" method="post" action="${ADMIN_PATH}/keys/${k.id}/credits">${csrfField(csrf)}<label class="visually-hidden" for="credits-${k.id}">Credits of ${k.id}</label><input id="credits-${k.id}" name="credits" value="${k.credits ?? ''}" placeholder="unlimited" inputmode="numeric"><button type="submit" class="quiet">Set<span class="visually-hidden"> credits of ${k.id}</span></button></form>` : k.credits ?? 'unlimited'}</td>
<td>${when(k.createdAt)}</td>
<td>${k.revokedAt === null ? html`<form class="inline" method="post" action="${ADMIN_PATH}/keys/${k.id}/revoke">${csrfField(csrf)}<button type="submit" class="danger">Revoke<span class="visually-hidden"> ${k.id}</span></button></form>` : html`revoked ${when(k.revokedAt)}`}</td></tr>`,
  )}</tbody></table></div>`;
}

export function settingsContent(csrf: string, w: Workspace): Html {
  const s = w.settings;
  const num = (id: string, label: string, value: number, hint: string) =>
    html`<label for="${id}">${label} <span class="hint">${hint}</span></label><input id="${id}" name="${id}" value="${value}" inputmode="numeric" required>`;
  return html`<form class="stack" method="post" action="${ADMIN_PATH}/settings">
${csrfField(csrf)}
<h2>Recording and reading</h2>
${num('dedupWindowMinutes', 'Dedup window', Math.round(s.dedupWindowMs / 60_000), 'minutes; repeats closer than this count once')}
${num('freeHistoryDays', 'Free history', s.freeHistoryDays, 'days a free member sees')}
${num('premiumHistoryDays', 'Premium history', s.premiumHistoryDays, 'days a premium member sees')}
${num('freeFullViewers', 'Viewers in full on the free plan', s.freeFullViewers, 'the most recent ones; the rest are blurred')}
${num('retentionDays', 'Retention', s.retentionDays, 'days visits are kept')}
<h2>Member page</h2>
<label for="pageName">Name shown <span class="hint">empty: the workspace name</span></label>
<input id="pageName" name="pageName" value="${s.pageName ?? ''}" maxlength="80">
<label for="accentColor">Accent colour</label>
<input id="accentColor" name="accentColor" type="color" value="${s.accentColor}">
<label for="logoUrl">Logo URL <span class="hint">https, empty for none</span></label>
<input id="logoUrl" name="logoUrl" value="${s.logoUrl ?? ''}" maxlength="2048" type="url">
<label for="framingOrigins">Framing origins <span class="hint">one per line, like https://app.example.com; the sites allowed to show the page in a frame</span></label>
<textarea id="framingOrigins" name="framingOrigins" rows="4">${s.framingOrigins.join('\n')}</textarea>
<button type="submit">Save settings</button>
</form>`;
}
