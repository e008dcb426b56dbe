import { Agent, request } from 'node:http';

export interface Reply {
  status: number;
  location: string | undefined;
  body: string;
}

/**
 * One browser for the load generator: a cookie jar honouring Path and keep-alive connections.
 * node:http directly, because the load generator shares one core and must not be the bottleneck.
 */
export class HttpSession {
  /** Set by the round-trip count to attribute Redis trips to the request in flight. */
  static observe: { before(method: string, path: string): void; after(method: string, path: string): void } | undefined;
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  private readonly agent: Agent;
  private readonly origin: string;

  constructor(agent: Agent, origin: string) {
    this.agent = agent;
    this.origin = origin;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
    return this.send('GET', path, undefined, headers);
  }

  /** A form a page submits: the browser sends its Origin. */
  post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Reply> {
    return this.send('POST', path, new URLSearchParams(form).toString(), { 'content-type': 'application/x-www-form-urlencoded', origin: this.origin, ...headers });
  }

  /** A back-channel request from an app's server (token endpoint): no Origin, JSON back. */
  postApi(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Reply> {
    return this.send('POST', path, new URLSearchParams(form).toString(), { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers });
  }

  private send(method: string, path: string, body: string | undefined, extra: Record<string, string>): Promise<Reply> {
    const url = new URL(path, this.origin);
    const headers: Record<string, string> = { accept: 'text/html', 'user-agent': 'sesame-bench', ...extra };
    const cookie = this.cookieHeader(url.pathname);
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    HttpSession.observe?.before(method, url.pathname);
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, agent: this.agent }, (res) => {
        this.storeCookies(url.pathname, res.headers['set-cookie'] ?? []);
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          HttpSession.observe?.after(method, url.pathname);
          resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  private cookieHeader(pathname: string): string {
    const parts: string[] = [];
    for (const { name, value, path } of this.cookies.values()) {
      if (path === '/' || pathname === path || pathname.startsWith(path.endsWith('/') ? path : `${path}/`)) parts.push(`${name}=${value}`);
    }
    return parts.join('; ');
  }

  private storeCookies(pathname: string, setCookies: string[]) {
    for (const header of setCookies) {
      const [pair, ...attributes] = header.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      let path = pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = value === '';
      for (const attribute of attributes) {
        const [key, val = ''] = attribute.trim().split('=');
        const lower = key!.toLowerCase();
        if (lower === 'path') path = val;
        if (lower === 'expires' && Date.parse(val) <= Date.now()) expired = true;
        if (lower === 'max-age' && Number(val) <= 0) expired = true;
      }
      const key = `${name};${path}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }
}

export function keepAliveAgent(maxSockets: number): Agent {
  // Node's agent heeds a server's `Keep-Alive: timeout=N` (and drops an idle socket a second
  // before it) only when it has a timeout of its own. Without it, a socket left idle while another
  // server is measured could be reused just as its server closed it: "socket hang up" mid-bench.
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, timeout: 60_000 });
}

export function expectStatus(reply: Reply, status: number, step: string): Reply {
  if (reply.status !== status) throw new Error(`${step}: expected ${status}, got ${reply.status} ${reply.location ?? ''} ${reply.body.slice(0, 300)}`);
  return reply;
}

export function hiddenField(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`no field ${name} in page: ${html.slice(0, 300)}`);
  return match[1]!;
}

/** Every hidden input of the form posting to `action`, as a browser would submit them. */
export function hiddenFields(html: string, action: string): Record<string, string> {
  const start = html.indexOf(`action="${action}"`);
  if (start === -1) throw new Error(`no form posting to ${action}: ${html.slice(0, 300)}`);
  const form = html.slice(start, html.indexOf('</form>', start));
  const fields: Record<string, string> = {};
  for (const match of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) fields[match[1]!] = match[2]!.replace(/&#64;/g, '@').replace(/&amp;/g, '&');
  return fields;
}
