import type { Context, Next } from 'koa';
import { verifiedSessionIdOf } from '../oidc/session-cookie.ts';
import { CONFIRMING_USER_CODE, isConfirmationPage } from './device-pages.ts';
import type { LookedUpUserCodes } from './looked-up-user-codes.ts';

/**
 * GET /device?step=confirm, in front of oidc-provider: the code the confirmation page is for is
 * the one this browser's session entered and was found (remembered by the entry's POST, which
 * leads here), never one from the address. Read, not taken: a reload shows the page again, and
 * only the decision takes it. Without a session, or once decided, there is none, and the page
 * says the confirmation was answered (device-flow/device-pages.ts). The session is the one the
 * library uses, its cookie's signature checked: a cookie of another name, or an unsigned one, planted
 * by a sibling subdomain, must not show the planter's code on this browser's confirmation page.
 */
export function readConfirmation({ lookedUpUserCodes, secureCookies }: { lookedUpUserCodes: LookedUpUserCodes; secureCookies: boolean }) {
  return async function confirmationOfThisBrowser(ctx: Context, next: Next) {
    if (isConfirmationPage(ctx)) {
      const sessionId = verifiedSessionIdOf(ctx, secureCookies);
      ctx.state[CONFIRMING_USER_CODE] = sessionId ? await lookedUpUserCodes.peek(sessionId) : undefined;
    }
    return next();
  };
}
