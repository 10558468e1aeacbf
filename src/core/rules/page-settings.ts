/**
 * The member page's workspace settings (docs/pages.md): what each may hold. They end up in a
 * response header (frame-ancestors) and in HTML, so anything that could break out of either is
 * refused here, once, for every way of changing settings (API, admin console).
 */
import { invalidInput } from '../errors.js';
import type { WorkspaceSettings } from '../types.js';

export const PAGE_SETTINGS = ['pageName', 'accentColor', 'logoUrl', 'framingOrigins'] as const;
export type PageSetting = (typeof PAGE_SETTINGS)[number];

export const MAX_FRAMING_ORIGINS = 20;

export function isPageSetting(field: string): field is PageSetting {
  return (PAGE_SETTINGS as readonly string[]).includes(field);
}

/**
 * A framing origin is a scheme, a host and an optional port, nothing else: `https://app.example`,
 * `https://*.example.com` (CSP's own wildcard for subdomains) or `http://localhost:8080`. No path,
 * no spaces, no quotes or semicolons that would end the CSP directive.
 */
const ORIGIN = /^https?:\/\/(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/;

export function checkPageSetting(field: PageSetting, value: unknown): WorkspaceSettings[PageSetting] {
  switch (field) {
    case 'pageName':
      if (value === null) return null;
      if (typeof value !== 'string' || value.trim() === '' || value.length > 80 || /[\u0000-\u001f]/.test(value)) {
        throw invalidInput('pageName must be null or 1 to 80 characters without control characters', { field });
      }
      return value.trim();
    case 'accentColor':
      if (typeof value !== 'string' || !/^#[0-9a-fA-F]{6}$/.test(value)) throw invalidInput('accentColor must be a colour like #0a66c2', { field });
      return value.toLowerCase();
    case 'logoUrl': {
      if (value === null) return null;
      if (typeof value !== 'string' || value.length > 2048 || !/^https:\/\/[^\s"'<>\\]+$/.test(value)) {
        throw invalidInput('logoUrl must be null or an https URL of at most 2048 characters', { field });
      }
      try {
        new URL(value);
      } catch {
        throw invalidInput('logoUrl must be null or an https URL of at most 2048 characters', { field });
      }
      return value;
    }
    case 'framingOrigins': {
      if (!Array.isArray(value) || value.length > MAX_FRAMING_ORIGINS) {
        throw invalidInput(`framingOrigins must be a list of at most ${MAX_FRAMING_ORIGINS} origins`, { field });
      }
      const out: string[] = [];
      for (const v of value) {
        const origin = typeof v === 'string' ? v.trim().toLowerCase().replace(/\/$/, '') : '';
        if (!ORIGIN.test(origin)) throw invalidInput(`framingOrigins: "${String(v)}" is not an origin like https://app.example.com`, { field });
        if (!out.includes(origin)) out.push(origin);
      }
      return out;
    }
  }
}
