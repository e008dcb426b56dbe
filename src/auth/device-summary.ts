/** "Firefox on Windows": enough for a person to recognise their own device, nothing to fingerprint. */
export function summariseUserAgent(userAgent: string | undefined): string {
  if (!userAgent) return 'an unknown browser';
  const ua = userAgent.slice(0, 512);
  const browser =
    /Edg\//.test(ua) ? 'Edge'
    : /OPR\//.test(ua) ? 'Opera'
    : /Firefox\//.test(ua) ? 'Firefox'
    : /Chrom(e|ium)\//.test(ua) ? 'Chrome'
    : /Safari\//.test(ua) ? 'Safari'
    : 'a browser';
  const os =
    /iPhone|iPad|iPod/.test(ua) ? 'iOS'
    : /Android/.test(ua) ? 'Android'
    : /Windows/.test(ua) ? 'Windows'
    : /Mac OS X|Macintosh/.test(ua) ? 'macOS'
    : /Linux|X11/.test(ua) ? 'Linux'
    : 'an unknown system';
  return `${browser} on ${os}`;
}
