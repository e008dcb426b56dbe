import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { clientSecondFactorSettings } from '../auth/mfa-policy.ts';
import type { SesameOidcAccount } from './find-account.ts';
import { appRequestsMfa } from './mfa-request.ts';
import { loginCheck } from './login-check.ts';

const { Check } = interactionPolicy;

export const ENROLMENT_NEEDS_RECENT_SIGN_IN = 'enrolment_needs_recent_sign_in';

/**
 * The login prompt's answer to a step-up that would set up an authenticator on a session older
 * than `recentSeconds`. Single sign-on lasts days, so such a session proves only that someone was
 * at this browser then; binding an authenticator to the account on its word would let whoever
 * finds the browser unattended lock the owner out (NIST SP 800-63B §6.1.2.1: binding a new
 * authenticator needs a fresh authentication). The email is proven again first, as
 * requireRecentSignIn asks of the account page. People who have an authenticator are only asked
 * for its code, which proves them by itself.
 */
export function enrolmentNeedsRecentSignIn(recentSeconds: number) {
  return loginCheck(ENROLMENT_NEEDS_RECENT_SIGN_IN, (ctx: KoaContextWithOIDC) => {
    const { session, client, params } = ctx.oidc;
    const account = ctx.oidc.account as SesameOidcAccount | undefined;
    if (!session?.accountId || !client || !account || account.totpEnrolled) return Check.NO_NEED_TO_PROMPT;
    const wouldEnrol = appRequestsMfa(params as Record<string, unknown>) || clientSecondFactorSettings(client.metadata()).mfa === 'required';
    if (!wouldEnrol) return Check.NO_NEED_TO_PROMPT;
    const age = Math.floor(Date.now() / 1000) - (session.loginTs ?? 0);
    return age > recentSeconds ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
  });
}
