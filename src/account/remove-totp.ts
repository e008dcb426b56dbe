import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { translatorOf } from '../i18n/page-language.ts';
import type { AccountDeps } from './account-deps.ts';

/** GET /account/totp/remove — asks before removing (after a fresh second-factor check). */
export function createConfirmTotpRemoval() {
  return async function confirmTotpRemoval(ctx: Context) {
    const { t } = translatorOf(ctx);
    await ctx.render('account-confirm', {
      title: t('removeTotp.title'),
      heading: t('removeTotp.heading'),
      explanation: t('removeTotp.explanation'),
      action: '/account/totp/remove',
      button: t('removeTotp.button'),
      danger: true,
    });
  };
}

/** POST /account/totp/remove */
export function createRemoveTotp({ secondFactor, notices, audit }: Pick<AccountDeps, 'secondFactor' | 'notices' | 'audit'>) {
  return async function removeTotp(ctx: Context) {
    const account: Account = ctx.state.account;
    const notice = await notices.holdFromBrowser(ctx, account, 'totp-removed');
    await secondFactor.remove(account.id);
    await notice.release();
    audit.record({ event: 'second_factor.removed', accountId: account.id });
    ctx.status = 303;
    ctx.redirect('/account?done=totp-removed');
  };
}
