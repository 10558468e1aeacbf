/**
 * The pages' building blocks without a browser (docs/pages.md): escaping, signed tokens (one key
 * per purpose, tampering, expiry), the page settings' rules, and PAGES_SECRET's validation.
 */
import { describe, expect, it } from 'vitest';
import { html, escapeHtml } from '../src/pages/html.js';
import { Signer } from '../src/pages/signing.js';
import { mintEmbedToken, readEmbedToken } from '../src/pages/embed-token.js';
import { checkPageSetting } from '../src/core/index.js';
import { loadConfig } from '../src/config.js';

describe('html', () => {
  it('escapes every interpolated value, keeps nested templates, drops null/false', () => {
    const name = `<script>alert("x")</script> & 'y'`;
    expect(html`<p title="${name}">${name}</p>`.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;</p>',
    );
    expect(html`<ul>${['a<', 'b'].map((x) => html`<li>${x}</li>`)}</ul>`.value).toBe('<ul><li>a&lt;</li><li>b</li></ul>');
    expect(html`${null}${undefined}${false}${0}`.value).toBe('0');
    expect(escapeHtml('"&')).toBe('&quot;&amp;');
  });
});

describe('signed tokens', () => {
  const signer = new Signer('unit-test-secret-0123456789abcdefghijklmnop');
  const grant = { workspaceId: 'w', memberId: 'm', exp: 2_000 };

  it('round-trips; expired after exp; refused when altered, by another secret, or for another purpose', () => {
    const token = mintEmbedToken(signer, grant);
    expect(readEmbedToken(signer, token, 1_000)).toEqual({ grant, expired: false });
    expect(readEmbedToken(signer, token, 2_000)).toEqual({ grant, expired: true });
    const [body, mac] = token.split('.');
    const flipped = `${body}.${mac!.slice(0, -1)}${mac!.endsWith('A') ? 'B' : 'A'}`;
    expect(readEmbedToken(signer, flipped, 1_000)).toBeNull();
    const other = Buffer.from(JSON.stringify({ w: 'w', m: 'other', exp: 2_000 })).toString('base64url');
    expect(readEmbedToken(signer, `${other}.${mac}`, 1_000)).toBeNull();
    expect(readEmbedToken(new Signer('another-secret-0123456789abcdefghijklmnop'), token, 1_000)).toBeNull();
    // A session-signed payload of the same shape is not a link.
    expect(readEmbedToken(signer, signer.sign('admin-session', { w: 'w', m: 'm', exp: 2_000 }), 1_000)).toBeNull();
    for (const junk of ['', '.', 'a.b.c', 'x'.repeat(5000), `${body}`]) expect(readEmbedToken(signer, junk, 1_000)).toBeNull();
  });

  it('without a secret, each server has its own random one', () => {
    const a = new Signer(null);
    const b = new Signer(null);
    expect(readEmbedToken(b, mintEmbedToken(a, grant), 1_000)).toBeNull();
  });
});

describe('page settings', () => {
  it('framing origins are origins only: nothing can be appended to the CSP', () => {
    expect(checkPageSetting('framingOrigins', ['HTTPS://App.Example.com/', 'http://localhost:8080', 'https://*.example.org', 'https://app.example.com'])).toEqual([
      'https://app.example.com',
      'http://localhost:8080',
      'https://*.example.org',
    ]);
    for (const bad of ["'self'", '*', 'https://a.example; script-src *', 'https://a.example/path', 'https://a .example', 'javascript:x', 'https://a.example:99999x', 'data:']) {
      expect(() => checkPageSetting('framingOrigins', [bad]), bad).toThrow(/framingOrigins/);
    }
    expect(() => checkPageSetting('framingOrigins', 'https://a.example')).toThrow(/framingOrigins/);
    expect(() => checkPageSetting('framingOrigins', Array.from({ length: 21 }, (_, i) => `https://a${i}.example`))).toThrow(/at most 20/);
  });

  it('colour, logo and name', () => {
    expect(checkPageSetting('accentColor', '#AbCdEf')).toBe('#abcdef');
    for (const bad of ['red', '#abc', '#abcdef;}', 1]) expect(() => checkPageSetting('accentColor', bad)).toThrow(/accentColor/);
    expect(checkPageSetting('logoUrl', null)).toBeNull();
    expect(checkPageSetting('logoUrl', 'https://cdn.example/logo.svg')).toBe('https://cdn.example/logo.svg');
    for (const bad of ['http://cdn.example/a.png', 'https://cdn.example/a".png', 'javascript:alert(1)', '']) expect(() => checkPageSetting('logoUrl', bad)).toThrow(/logoUrl/);
    expect(checkPageSetting('pageName', '  Acme  ')).toBe('Acme');
    for (const bad of ['', '   ', 'a\nb', 'x'.repeat(81)]) expect(() => checkPageSetting('pageName', bad)).toThrow(/pageName/);
  });
});

describe('PAGES_SECRET', () => {
  it('is optional, and at least 32 characters without spaces when set', () => {
    expect(loadConfig({}).pagesSecret).toBeNull();
    expect(loadConfig({ PAGES_SECRET: 'x'.repeat(32) }).pagesSecret).toBe('x'.repeat(32));
    expect(() => loadConfig({ PAGES_SECRET: 'short' })).toThrow(/PAGES_SECRET/);
    expect(() => loadConfig({ PAGES_SECRET: `${'x'.repeat(32)} y` })).toThrow(/PAGES_SECRET/);
  });
});
