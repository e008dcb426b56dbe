import type { Context, Next } from 'koa';
import type { RateLimit } from '../auth/rate-limiter.ts';
import { clientIpSubject } from '../http/client-ip.ts';
import type { RateLimitGuard } from '../http/rate-limit.ts';
import { sessionOfCookie } from '../oidc/session-cookie.ts';

export const DEVICE_CODE_ENTRIES_LIMITED = 'Too many device codes were entered from your network.';

/**
 * POST /device, in front of oidc-provider, which looks the code up: every entry from a browser with
 * a Sesame session counts against the client IP's budget before anything is looked up, right or
 * wrong, so guessing at other people's user codes (RFC 8628 §5.1) is capped however the guesses are spread over forms and sessions
 * (entering, confirming and denying all carry the code). Over the budget: 429 with Retry-After.
 */
export function limitDeviceCodeEntries({ rateLimits, perIp }: { rateLimits: RateLimitGuard; perIp: RateLimit }) {
  return async function deviceCodeEntryLimit(ctx: Context, next: Next) {
    // Without the browser's session cookie the library refuses the form (its xsrf is checked
    // against a secret kept in that session) before any code is looked up: it guesses nothing, and
    // counting it let any site spend a network's budget with forms its visitors' browsers post
    // (the SameSite=Lax cookie stays out of those), as Sesame's own forms count only after their
    // CSRF check. A guesser sends its cookie, and is counted.
    if (!sessionOfCookie(ctx)) return next();
    await rateLimits.enforce([[perIp, clientIpSubject(ctx)]], DEVICE_CODE_ENTRIES_LIMITED);
    return next();
  };
}
