import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { translatorOf } from '../i18n/page-language.ts';
import type { AccountDeps } from './account-deps.ts';
import type { AccountSession } from './account-session.ts';
import { recoveryCodesHolder } from './show-recovery-codes.ts';

/** GET /account/recovery-codes — asks before replacing the set (after a fresh second-factor check). */
export function createConfirmRecoveryCodes() {
  return async function confirmRecoveryCodes(ctx: Context) {
    const { t } = translatorOf(ctx);
    await ctx.render('account-confirm', {
      title: t('renewCodes.title'),
      heading: t('renewCodes.heading'),
      explanation: t('renewCodes.explanation'),
      action: '/account/recovery-codes',
      button: t('renewCodes.button'),
    });
  };
}

/** POST /account/recovery-codes — replaces the set; the page it leads to shows the new codes once. */
export function createRenewRecoveryCodes({ secondFactor, notices, audit }: Pick<AccountDeps, 'secondFactor' | 'notices' | 'audit'>) {
  return async function renewRecoveryCodes(ctx: Context) {
    const account: Account = ctx.state.account;
    const session: AccountSession = ctx.state.accountSession;
    // Pressed in two tabs at once: one new set, shown once, rather than two pages of codes of
    // which only one would work. The other press goes to the page that shows the codes.
    const notice = await notices.holdFromBrowser(ctx, account, 'recovery-codes-renewed');
    if (!(await secondFactor.recoveryCodes.claimRenewal(account.id))) {
      await notice.cancel();
      ctx.status = 303;
      return ctx.redirect('/account/recovery-codes/new');
    }
    const codes = await secondFactor.enrollment.issueRecoveryCodes(account.id);
    await notice.release();
    audit.record({ event: 'recovery_codes.renewed', accountId: account.id });
    await secondFactor.recoveryCodesToShow.keep(account.id, recoveryCodesHolder(session), { codes, reason: 'renewed', email: account.email });
    await secondFactor.recoveryCodes.endRenewal(account.id);
    ctx.status = 303;
    ctx.redirect('/account/recovery-codes/new');
  };
}
