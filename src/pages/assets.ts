/**
 * The pages' static files, served by this server (never a CDN): our stylesheet and script, and
 * uPlot from its npm package. Each URL carries a hash of the file, so browsers may keep it for a
 * year; a new release changes the URL. /pages/accent.css turns the workspace's accent setting
 * into a stylesheet, because the pages' CSP allows no inline style.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { PAGES_CSS } from './static/pages-css.js';
import { EMBED_JS } from './static/embed-js.js';

interface Asset {
  body: string;
  type: string;
  hash: string;
}

function asset(body: string, type: string): Asset {
  return { body, type, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) };
}

/** uPlot's files, read once from the installed package (resolved from wherever this code runs). */
function fromUplot(file: string, type: string): Asset {
  const require = createRequire(import.meta.url);
  const dir = require.resolve('uplot/package.json').replace(/package\.json$/, '');
  return asset(readFileSync(`${dir}dist/${file}`, 'utf8'), type);
}

let cached: Record<string, Asset> | undefined;

export function assets(): Record<string, Asset> {
  cached ??= {
    'pages.css': asset(PAGES_CSS, 'text/css; charset=utf-8'),
    'embed.js': asset(EMBED_JS, 'text/javascript; charset=utf-8'),
    'uplot.js': fromUplot('uPlot.iife.min.js', 'text/javascript; charset=utf-8'),
    'uplot.css': fromUplot('uPlot.min.css', 'text/css; charset=utf-8'),
  };
  return cached;
}

/** The URL of one of the files above, with its content hash. */
export function assetUrl(name: 'pages.css' | 'embed.js' | 'uplot.js' | 'uplot.css'): string {
  return `/pages/assets/${assets()[name]!.hash}/${name}`;
}

export function accentCssUrl(color: string): string {
  return `/pages/accent.css?c=${encodeURIComponent(color.replace('#', ''))}`;
}

export async function assetRoutes(app: FastifyInstance) {
  app.get(
    '/pages/assets/:hash/:name',
    { schema: { hide: true, params: Type.Object({ hash: Type.String({ maxLength: 64 }), name: Type.String({ maxLength: 64 }) }) }, config: { rateLimit: false } },
    async (request, reply) => {
      const { hash, name } = request.params as { hash: string; name: string };
      const a = Object.hasOwn(assets(), name) ? assets()[name] : undefined;
      if (!a) return reply.status(404).type('text/plain').send('not found');
      // An old hash still gets today's file, just not for a year.
      const cache = hash === a.hash ? 'public, max-age=31536000, immutable' : 'public, max-age=300';
      return reply.header('cache-control', cache).header('x-content-type-options', 'nosniff').type(a.type).send(a.body);
    },
  );
  app.get(
    '/pages/accent.css',
    { schema: { hide: true, querystring: Type.Object({ c: Type.String({ pattern: '^[0-9a-fA-F]{6}$' }) }) }, config: { rateLimit: false } },
    async (request, reply) => {
      const { c } = request.query as { c: string };
      return reply
        .header('cache-control', 'public, max-age=86400')
        .header('x-content-type-options', 'nosniff')
        .type('text/css; charset=utf-8')
        .send(`:root{--accent:#${c.toLowerCase()}}\n`);
    },
  );
}
