/**
 * A minimal browser over fetch: a cookie jar honouring Path, manual redirects, and helpers to
 * read forms. Enough to drive Sesame's pages over real HTTP the way a person's browser would.
 */
interface StoredCookie {
  name: string;
  value: string;
  path: string;
  expires?: number;
}

export interface Page {
  url: string;
  status: number;
  html: string;
  headers: Headers;
}

export class HttpBrowser {
  private cookies: StoredCookie[] = [];
  readonly userAgent: string;
  /** URLs where navigation stops as if it left the site: an app's redirect_uri on Sesame's own origin (/demo). */
  readonly stopAt: string[] = [];
  /** Sent with every request, e.g. the X-Forwarded-* headers a reverse proxy would add. */
  readonly defaultHeaders: Record<string, string>;

  constructor(userAgent = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 Safari/537.36', defaultHeaders: Record<string, string> = {}) {
    this.userAgent = userAgent;
    this.defaultHeaders = defaultHeaders;
  }

  cookieNames(): string[] {
    return this.cookies.map((c) => c.name);
  }

  /** The value of a cookie this browser holds, whatever its path. */
  cookieValue(name: string): string | undefined {
    return this.cookies.find((c) => c.name === name)?.value;
  }

  /** Closes and reopens the browser: cookies without Max-Age or Expires (session cookies) are gone. */
  restart() {
    this.cookies = this.cookies.filter((c) => c.expires !== undefined);
  }

  /**
   * Sets a cookie as another site could: a sibling subdomain (Domain=example.com), or a
   * plain-http answer before HSTS. The value is copied from a browser that holds it.
   */
  plantCookie(name: string, value: string, path = '/') {
    this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === path));
    this.cookies.push({ name, value, path });
  }

  /** Forgets a cookie (and its `.sig`) whatever its path, as a browser does once its Max-Age has run out. */
  expireCookie(name: string) {
    this.cookies = this.cookies.filter((c) => c.name !== name && c.name !== `${name}.sig`);
  }

  /** One request, no redirects followed. */
  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
    const target = new URL(url);
    const headers: Record<string, string> = { 'user-agent': this.userAgent, accept: 'text/html', ...this.defaultHeaders, ...init.headers };
    const cookie = this.cookieHeader(target);
    if (cookie) headers.cookie = cookie;
    let body = init.body;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.origin = init.headers?.origin ?? target.origin;
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(target, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual' });
    this.storeCookies(target, response.headers.getSetCookie());
    return response;
  }

  /** Follows redirects while they stay on `origin`; returns the last page, or the first off-origin Location. */
  async navigate(url: string, init: { form?: Record<string, string> } = {}, origin = new URL(url).origin): Promise<Page & { leftTo?: string }> {
    let response = await this.request(url, init);
    let current = url;
    for (let hops = 0; hops < 20 && response.status >= 300 && response.status < 400; hops++) {
      const location = new URL(response.headers.get('location')!, current).href;
      if (new URL(location).origin !== origin || this.stopAt.some((prefix) => location.startsWith(prefix))) return { url: current, status: response.status, html: '', headers: response.headers, leftTo: location };
      current = location;
      response = await this.request(current);
    }
    return { url: current, status: response.status, html: await response.text(), headers: response.headers };
  }

  /** The Cookie header this browser would send to `url`. */
  cookieHeader(url: URL): string {
    const now = Date.now();
    this.cookies = this.cookies.filter((c) => c.expires === undefined || c.expires > now);
    return this.cookies
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/')
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private storeCookies(url: URL, setCookies: string[]) {
    for (const header of setCookies) {
      const [pair, ...attributes] = header.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expires: number | undefined;
      for (const attribute of attributes) {
        const [key, val = ''] = attribute.split('=');
        if (key!.toLowerCase() === 'path') path = val;
        if (key!.toLowerCase() === 'expires') expires = Date.parse(val);
        if (key!.toLowerCase() === 'max-age') expires = Date.now() + Number(val) * 1000;
      }
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === path));
      if (value !== '' && (expires === undefined || expires > Date.now())) this.cookies.push({ name, value, path, expires });
    }
  }
}

/** Value of a named hidden/text input in the first form whose action ends with `actionSuffix`. */
export function formFields(html: string, actionSuffix: string): Record<string, string> {
  const forms = html.match(/<form[\s\S]*?<\/form>/g) ?? [];
  const form = forms.find((f) => new RegExp(`action="[^"]*${actionSuffix.replace(/[.?]/g, '\\$&')}"`).test(f));
  if (!form) throw new Error(`no form with action ending ${actionSuffix}`);
  const fields: Record<string, string> = {};
  for (const input of form.match(/<input[^>]*>/g) ?? []) {
    const name = /name="([^"]*)"/.exec(input)?.[1];
    const value = /value="([^"]*)"/.exec(input)?.[1] ?? '';
    if (name) fields[name] = decodeEntities(value);
  }
  return fields;
}

/** The body rows of the table `id` on a page: each row's text, and the value of the first hidden `field` its form carries (none where it has no such form). */
export function tableRows(html: string, id: string, field: string): { text: string; value: string | undefined }[] {
  const table = new RegExp(`<table[^>]*id="${id}">([\\s\\S]*?)</table>`).exec(html);
  if (!table) throw new Error(`no table with id ${id}`);
  return [...table[1]!.matchAll(/<tr>\s*<td>([\s\S]*?)<\/tr>/g)].map(([row]) => ({
    text: decodeEntities(row.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()),
    value: new RegExp(`name="${field}" value="([^"]+)"`).exec(row)?.[1],
  }));
}

export function decodeEntities(text: string): string {
  return text.replace(/&#34;|&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
