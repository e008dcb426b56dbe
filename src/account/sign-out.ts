import type { Context } from 'koa';
import { ACCOUNT_CLIENT_ID } from './account-client.ts';
import type { AccountDeps } from './account-deps.ts';

/** POST /account/sign-out — ends the account page's session, then offers to sign out of Sesame too. */
export function createAccountSignOut({ sessions }: Pick<AccountDeps, 'sessions'>) {
  return async function accountSignOut(ctx: Context) {
    sessions.clear(ctx);
    ctx.status = 303;
    ctx.redirect(`/session/end?client_id=${ACCOUNT_CLIENT_ID}`);
  };
}
