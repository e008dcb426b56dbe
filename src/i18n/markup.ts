/**
 * The only HTML a translated sentence may carry, made by the template around a value it escaped
 * itself (`tHtml('check.intro', { email: strong(email) })`). Catalogue strings stay plain text.
 */
export class Markup {
  /** Already escaped. */
  readonly html: string;
  /** The same without markup, for `t()` (plain text, mail). */
  readonly text: string;
  constructor(html: string, text: string) {
    this.html = html;
    this.text = text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };

/** As EJS escapes `<%= %>`. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** `<strong>value</strong>`, with optional class and id (the check page's match number). */
export function strong(value: string | number, attributes: { class?: string; id?: string } = {}): Markup {
  const text = String(value);
  const attrs = Object.entries(attributes).map(([name, v]) => ` ${name}="${escapeHtml(v)}"`).join('');
  return new Markup(`<strong${attrs}>${escapeHtml(text)}</strong>`, text);
}

/** `<time datetime>` whose words a page script may replace with the reader's own time (views/static/check-email.js). */
export function localTime(at: Date, words: string): Markup {
  return new Markup(`<time datetime="${escapeHtml(at.toISOString())}" data-local-time>${escapeHtml(words)}</time>`, words);
}

/** `<time datetime>words</time>`: a date or moment shown as it is stored (the account page's lists), machine-readable beside it. */
export function timeText(at: Date | string, words: string): Markup {
  const iso = typeof at === 'string' ? at : at.toISOString();
  return new Markup(`<time datetime="${escapeHtml(iso)}">${escapeHtml(words)}</time>`, words);
}

/** `<code>value</code>`: the error page's code and request id. */
export function code(value: string): Markup {
  return new Markup(`<code>${escapeHtml(value)}</code>`, value);
}

/** `<a href>label</a>`, both escaped: SUPPORT_CONTACT (config/support-contact.ts), checked at start-up. `style` for mail, whose clients drop style sheets. */
export function link(href: string, label: string, style?: string): Markup {
  return new Markup(`<a href="${escapeHtml(href)}"${style ? ` style="${escapeHtml(style)}"` : ''}>${escapeHtml(label)}</a>`, label);
}
