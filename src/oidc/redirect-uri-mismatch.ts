/**
 * Why an address an app sent (redirect_uri, post_logout_redirect_uri) is not one it registered,
 * when it nearly is: the usual slips when an app is set up (a trailing slash, http for https, the
 * dev server's port, localhost for 127.0.0.1). oidc-provider compares the strings exactly, as
 * RFC 9700 §4.1.3 requires, so "nearly" never lets a request through; it only names the slip for
 * the app's developer. Undefined when no registered address is that close. Plain ASCII without
 * quotes: it goes into error_description (RFC 6749 section 4.1.2.1).
 */
export function nearMissOf(sent: string, registered: readonly string[]): string | undefined {
  const url = URL.parse(sent);
  if (!url) return undefined;
  for (const candidate of registered) {
    const other = URL.parse(candidate);
    if (!other) continue;
    if (withoutTrailingSlash(url) === withoutTrailingSlash(other)) return 'it differs from a registered one only by a trailing slash';
    if (url.protocol !== other.protocol && sameExcept(url, other, 'protocol')) return `it uses ${url.protocol.slice(0, -1)} where the registered one uses ${other.protocol.slice(0, -1)}`;
    if (url.port !== other.port && sameExcept(url, other, 'port')) {
      const loopback = isLoopback(url.hostname) ? ' (an app that listens on a different loopback port each time registers application_type native, whose loopback redirect_uris match any port, RFC 8252 section 7.3)' : '';
      return `it uses a different port from the registered one${loopback}`;
    }
    if (url.hostname !== other.hostname && isLoopback(url.hostname) && isLoopback(other.hostname) && sameExcept(url, other, 'hostname')) return `it names the loopback host as ${url.hostname} where the registered one says ${other.hostname}`;
    if (url.search !== other.search && sameExcept(url, other, 'search')) return 'its query string differs from the registered one';
    if (url.pathname.toLowerCase() === other.pathname.toLowerCase() && url.pathname !== other.pathname && sameExcept(url, other, 'pathname')) return 'its path differs from the registered one in upper and lower case';
  }
  return undefined;
}

function withoutTrailingSlash(url: URL): string {
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}${url.search}`;
}

function sameExcept(a: URL, b: URL, part: 'protocol' | 'port' | 'hostname' | 'search' | 'pathname'): boolean {
  const copy = new URL(a.href);
  copy[part] = b[part];
  return copy.href === b.href;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}
