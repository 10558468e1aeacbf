/**
 * HTML templates are plain functions built on this tagged template: every interpolated value is
 * escaped unless it is already `Html` (the output of another template), so a member's name or a
 * setting can never become markup. Arrays are joined; null, undefined and false render nothing.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const SPECIAL = /[&<>"']/;
const SPECIALS = /[&<>"']/g;

/** Text made safe for element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  // Most values (ids, counts, times, labels) hold nothing to escape, and a test costs less than
  // a replace that finds nothing.
  return SPECIAL.test(value) ? value.replace(SPECIALS, (c) => ESCAPES[c]!) : value;
}

function render(value: unknown): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Markup this program wrote itself (a static file's contents, never user data). */
export function trusted(markup: string): Html {
  return new Html(markup);
}
