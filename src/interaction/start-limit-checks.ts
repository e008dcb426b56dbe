import type { Context, Next } from 'koa';
import type { MessageRef } from '../i18n/translate.ts';
import { parseEmailAddress } from '../auth/email-address.ts';
import { clientIpSubject } from '../http/client-ip.ts';
import { browserKnowsAddress } from '../http/known-address-cookie.ts';
import { accountEmailKey, signInIssueKey, signInRequestAddressKey } from '../store/keys.ts';
import type { RateLimitHit } from '../http/rate-limit.ts';
import type { InteractionDeps } from './interaction-deps.ts';

export const SIGN_IN_MAIL_LIMITED: MessageRef = { key: 'error.rateLimited.signInMail' };
export const CODE_ENTRIES_LIMITED: MessageRef = { key: 'error.rateLimited.codeEntries' };

// These run right before readInteractionRecords, without waiting: what they count and read goes to
// Redis in the same batch as the interaction. The route's handler awaits the outcome.

/**
 * POST /email: counts the mail against the IP's budget and the address's (of which each IP gets
 * a share: one client asking again and again for someone else's mail spends its share, not the
 * owner's), and reads whether the address is locked out of codes, for every valid address alike.
 * Clients on many networks can still spend the whole address budget together; a browser that
 * signed in as the address before (http/known-address-cookie.ts) has a budget of its own instead,
 * per network (one shared computer elsewhere cannot spend the owner's), so they cannot keep the
 * owner out.
 */
export function startSignInMailChecks({ rateLimits, limits, lockout, config }: Pick<InteractionDeps, 'rateLimits' | 'limits' | 'lockout' | 'config'>) {
  return function signInMailChecks(ctx: Context, next: Next) {
    const parsed = parseEmailAddress(ctx.state.form?.email);
    if (parsed.ok) {
      const ip = clientIpSubject(ctx);
      const addressBudget: RateLimitHit = browserKnowsAddress(ctx, config.hmacKey, parsed.email)
        ? [limits.signInMailPerAddressFromKnownBrowser, `${parsed.email}\n${ip}`]
        : { share: limits.signInMailPerAddressFromOneIp, client: ip, of: limits.signInMailPerAddress, subject: parsed.email };
      const checks: Promise<[void, boolean]> = Promise.all([
        rateLimits.enforce([[limits.signInMailPerIp, ip], addressBudget], SIGN_IN_MAIL_LIMITED),
        lockout.isLocked(parsed.email),
      ]);
      checks.catch(() => {}); // awaited by the handler; a route that ends earlier must not leave it unhandled
      ctx.state.signInMailChecks = checks;
      // The request the sign-in waits for: issuing again to the same address goes on with it (auth/sign-in-codes.ts).
      ctx.state.alsoRead = [signInIssueKey(ctx.params.uid!), signInRequestAddressKey(ctx.params.uid!)];
    }
    return next();
  };
}

/**
 * POST /code: counts the entry against the IP's budget and, for the address the form says it is
 * for (the check page sends it along), reads its lock state and account: the redemption needs the
 * first and, when the code is right, the sign-in the second. A form claiming another address only
 * costs the handler a read of the right ones.
 */
export function startCodeEntryChecks({ rateLimits, limits, lockout }: Pick<InteractionDeps, 'rateLimits' | 'limits' | 'lockout'>) {
  return function codeEntryChecks(ctx: Context, next: Next) {
    const limited = rateLimits.enforce([[limits.codeEntriesPerIp, clientIpSubject(ctx)]], CODE_ENTRIES_LIMITED);
    limited.catch(() => {});
    ctx.state.codeEntryLimit = limited;
    const claimed = parseEmailAddress(ctx.state.form?.email);
    if (claimed.ok) ctx.state.alsoRead = [lockout.stateKey(claimed.email), accountEmailKey(claimed.email)];
    return next();
  };
}
