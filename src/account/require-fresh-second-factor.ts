import type { Context, Next } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import type { AccountSession } from './account-session.ts';
import type { AccountDeps } from './account-deps.ts';

/**
 * For the changes that weaken or replace the second factor: the person must have passed it within
 * accountArea.freshSecondFactorSeconds. Otherwise they go through a step-up (prompt=mfa) and land
 * back on the same page. Only for accounts that have an authenticator; the rest go to /account.
 */
export function requireFreshSecondFactor({ sessions }: Pick<AccountDeps, 'sessions'>) {
  return async function requireFresh(ctx: Context, next: Next) {
    const account: Account = ctx.state.account;
    const session: AccountSession = ctx.state.accountSession;
    if (!account.totp) return ctx.redirect('/account');
    if (!sessions.isFresh(session)) return ctx.redirect(`/account/sign-in?next=${encodeURIComponent(ctx.path)}&fresh=1`);
    return next();
  };
}

/**
 * For changes that cannot be undone or that lock the owner out (deleting the account, changing its
 * address, setting up an authenticator): whoever is at the browser must have signed in within
 * accountArea.freshSecondFactorSeconds. The account page signs in by single sign-on, so its
 * session may stand on an email proven days ago at a browser left unattended. An account with an
 * authenticator needs a fresh authenticator check (as above); one without proves its email again.
 */
export function requireRecentSignIn({ sessions }: Pick<AccountDeps, 'sessions'>) {
  const freshSecondFactor = requireFreshSecondFactor({ sessions });
  return async function requireRecent(ctx: Context, next: Next) {
    const account: Account = ctx.state.account;
    if (account.totp) return freshSecondFactor(ctx, next);
    const session: AccountSession = ctx.state.accountSession;
    if (!sessions.isRecentSignIn(session)) return ctx.redirect(`/account/sign-in?next=${encodeURIComponent(ctx.path)}&fresh=email`);
    return next();
  };
}
