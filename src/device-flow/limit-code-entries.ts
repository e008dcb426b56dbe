import type { Context, Next } from 'koa';
import type { MessageRef } from '../i18n/translate.ts';
import type { RateLimit } from '../auth/rate-limiter.ts';
import { clientIpSubject } from '../http/client-ip.ts';
import { RateLimited } from '../http/errors.ts';
import type { RateLimitGuard } from '../http/rate-limit.ts';
import { sessionOfCookie, verifiedSessionIdOf } from '../oidc/session-cookie.ts';
import { withUncountedDecision } from './decision-lookup.ts';
import { isDecisionForm, LOOKED_UP_USER_CODE } from './device-pages.ts';
import type { LookedUpUserCodes } from './looked-up-user-codes.ts';

export const DEVICE_CODE_ENTRIES_LIMITED: MessageRef = { key: 'error.rateLimited.deviceCodeEntries' };

/**
 * POST /device, in front of oidc-provider, which looks the code up: every entry from a browser with
 * a Sesame session counts against the client IP's budget before anything is looked up, right or
 * wrong, so guessing at other people's user codes (RFC 8628 §5.1) is capped however the guesses are spread over forms and sessions
 * (entering, confirming and denying all carry the code). Over the budget: 429 with Retry-After.
 *
 * One exception, so that an honest sign-in costs one entry and not two (a whole office or a
 * carrier-grade NAT shares the budget): "Allow" or "Don't allow" on the confirmation page this
 * browser was just shown, for the code it was shown for. That code was counted when it was
 * entered, and found; the decision takes the browser's record of it (once), and the library may
 * then look up that code alone (device-flow/decision-lookup.ts): another code put into the form is
 * refused unread, and counted.
 */
export function limitDeviceCodeEntries({ rateLimits, perIp, lookedUpUserCodes, secureCookies }: { rateLimits: RateLimitGuard; perIp: RateLimit; lookedUpUserCodes: LookedUpUserCodes; secureCookies: boolean }) {
  return async function deviceCodeEntryLimit(ctx: Context, next: Next) {
    // Without the browser's session cookie the library refuses the form (its xsrf is checked
    // against a secret kept in that session) before any code is looked up: it guesses nothing, and
    // counting it let any site spend a network's budget with forms its visitors' browsers post
    // (the SameSite=Lax cookie stays out of those), as Sesame's own forms count only after their
    // CSRF check. A guesser sends its cookie, and is counted.
    if (!sessionOfCookie(ctx)) return next();
    // Any session cookie counts; the code remembered for the browser is the library's session's,
    // its signature checked, never one that a planted cookie names (read-confirmation.ts).
    const sessionId = verifiedSessionIdOf(ctx, secureCookies);
    const count = () => rateLimits.enforce([[perIp, clientIpSubject(ctx)]], DEVICE_CODE_ENTRIES_LIMITED);
    const lookedUp = isDecisionForm(ctx) && sessionId ? await lookedUpUserCodes.take(sessionId) : undefined;
    if (lookedUp) {
      // Counted, not refused: the code it carries is not looked up either way.
      const countOtherCode = () => count().catch((error: unknown) => { if (!(error instanceof RateLimited)) throw error; });
      return withUncountedDecision({ userCode: lookedUp, countOtherCode }, next);
    }
    await count();
    await next();
    // The code was found, and the browser sent on to its confirmation page (device-flow/device-pages.ts): its decision comes next.
    const found: unknown = ctx.state[LOOKED_UP_USER_CODE];
    if (typeof found === 'string' && sessionId) await lookedUpUserCodes.remember(sessionId, found);
  };
}
