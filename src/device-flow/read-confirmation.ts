import type { Context, Next } from 'koa';
import { sessionOfCookie } from '../oidc/session-cookie.ts';
import { CONFIRMING_USER_CODE, isConfirmationPage } from './device-pages.ts';
import type { LookedUpUserCodes } from './looked-up-user-codes.ts';

/**
 * GET /device?step=confirm, in front of oidc-provider: the code the confirmation page is for is
 * the one this browser's session entered and was found (remembered by the entry's POST, which
 * leads here), never one from the address. Read, not taken: a reload shows the page again, and
 * only the decision takes it. Without a session, or once decided, there is none, and the page
 * says the confirmation was answered (device-flow/device-pages.ts).
 */
export function readConfirmation({ lookedUpUserCodes }: { lookedUpUserCodes: LookedUpUserCodes }) {
  return async function confirmationOfThisBrowser(ctx: Context, next: Next) {
    if (isConfirmationPage(ctx)) {
      const session = sessionOfCookie(ctx);
      ctx.state[CONFIRMING_USER_CODE] = session ? await lookedUpUserCodes.peek(session.id) : undefined;
    }
    return next();
  };
}
