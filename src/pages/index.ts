/**
 * The pages feature (docs/pages.md): the embeddable member page, the link-minting API route and
 * the admin console, registered with one line in http/app.ts. Server-rendered HTML, a strict CSP,
 * static files from this server.
 */
import type { FastifyInstance } from 'fastify';
import { adminRoutes, type AdminExtension } from './admin/routes.js';
import { auditExtension } from './admin/audit-page.js';
import { webhooksExtension } from './admin/webhooks-page.js';
import { assetRoutes } from './assets.js';
import { embedRoutes, type EmbedExtras } from './embed-routes.js';
import { embedTokenRoutes } from './embed-token-routes.js';
import { Signer } from './signing.js';

export interface PagesOptions {
  /** PAGES_SECRET; null: a random one for this process (docs/pages.md). */
  secret: string | null;
  embedExtras?: EmbedExtras;
  adminExtensions?: AdminExtension[];
}

export async function pagesPlugin(app: FastifyInstance, opts: PagesOptions) {
  const signer = new Signer(opts.secret);
  await app.register(assetRoutes);
  await app.register(embedTokenRoutes, { prefix: '/v1', signer });
  await app.register(embedRoutes, { signer, ...(opts.embedExtras ? { extras: opts.embedExtras } : {}) });
  // The console's own sections beyond the core ones, then any the caller adds.
  await app.register(adminRoutes, { signer, extensions: [webhooksExtension, auditExtension, ...(opts.adminExtensions ?? [])] });
}
