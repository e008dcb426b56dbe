import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { loginCheck } from './login-check.ts';

const { Check } = interactionPolicy;

/**
 * The login prompt's answer to a session whose account no longer exists (`user remove`): the
 * library counts any session with an accountId as logged in, and would carry on with an account
 * it cannot load (a 500). Here the person signs in again, as if they had no session.
 */
export const sessionAccountGone = loginCheck('session_account_gone', (ctx: KoaContextWithOIDC) =>
  ctx.oidc.session?.accountId && !ctx.oidc.account ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT,
);
