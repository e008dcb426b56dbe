import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { renderRecoveryCodesPage } from '../interaction/recovery-codes-page.ts';
import { translatorOf } from '../i18n/page-language.ts';
import type { AccountDeps } from './account-deps.ts';
import type { AccountSession } from './account-session.ts';

/** New recovery codes wait for the account-page session that made them, and for no other. */
export const recoveryCodesHolder = (session: AccountSession) => `account-session:${session.sid}`;

/**
 * GET /account/recovery-codes/new — where setting up an authenticator and renewing the codes lead:
 * the new codes, once. A reload, or Back from the account page, finds a page that says they are
 * not shown again and where to get new ones.
 */
export function createShowNewRecoveryCodes({ secondFactor }: Pick<AccountDeps, 'secondFactor'>) {
  return async function showNewRecoveryCodes(ctx: Context) {
    const account: Account = ctx.state.account;
    const session: AccountSession = ctx.state.accountSession;
    await renderRecoveryCodesPage(ctx, {
      // HEAD gets no body, so it must not use up the one showing.
      shown: ctx.method === 'GET' ? await secondFactor.recoveryCodesToShow.take(account.id, recoveryCodesHolder(session)) : undefined,
      confirmAction: '/account/recovery-codes/new',
      continueLabel: translatorOf(ctx).t('account.back'),
      continueUrl: '/account',
    });
  };
}

/** POST /account/recovery-codes/new — "I have saved these codes" (see interaction/show-recovery-codes.ts). */
export function continueAfterNewRecoveryCodes(ctx: Context) {
  ctx.status = 303;
  ctx.redirect('/account');
}
