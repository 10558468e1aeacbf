/** The document shell shared by the member page, the admin console and the error pages. */
import { accentCssUrl, assetUrl } from './assets.js';
import { html, type Html } from './html.js';

export interface ShellOptions {
  title: string;
  accentColor: string;
  body: Html;
  /** Extra scripts (served by this server), loaded deferred. */
  scripts?: Array<'embed.js' | 'uplot.js'>;
  styles?: Array<'uplot.css'>;
  bodyClass?: string;
}

export function shell(o: ShellOptions): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${o.title}</title>
<link rel="stylesheet" href="${assetUrl('pages.css')}">
${(o.styles ?? []).map((s) => html`<link rel="stylesheet" href="${assetUrl(s)}">\n`)}<link rel="stylesheet" href="${accentCssUrl(o.accentColor)}">
${(o.scripts ?? []).map((s) => html`<script src="${assetUrl(s)}" defer></script>\n`)}</head>
<body class="${o.bodyClass ?? ''}">
<a class="skip" href="#main">Skip to content</a>
${o.body}
</body>
</html>
`.value;
}

/** A page that only says what went wrong (an invalid link, a missing member). */
export function errorPage(title: string, message: string, accentColor = '#0a66c2'): string {
  return shell({
    title,
    accentColor,
    body: html`<main id="main" class="error-page"><h1>${title}</h1><p>${message}</p></main>`,
  });
}
