import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { answerHeadWithoutSecret, enrollmentErrorOf, enrollmentPageWithError, enteredTotpCode, renderTotpEnrollPage } from '../interaction/totp-enrollment-pages.ts';
import { translatorOf } from '../i18n/page-language.ts';
import type { AccountDeps } from './account-deps.ts';
import type { AccountSession } from './account-session.ts';
import { recoveryCodesHolder } from './show-recovery-codes.ts';

const SET_UP_PAGE = '/account/totp/enroll';

/** GET (and HEAD) /account/totp/enroll */
export function createShowAccountEnrollment({ secondFactor, config }: Pick<AccountDeps, 'secondFactor' | 'config'>) {
  return async function showAccountEnrollment(ctx: Context) {
    const account: Account = ctx.state.account;
    const session: AccountSession = ctx.state.accountSession;
    // A HEAD shows nothing, so it makes no secret (a GET does, and shows it again on a reload).
    if (ctx.method === 'HEAD' && !account.totp) return answerHeadWithoutSecret(ctx);
    const offer = await secondFactor.enrollment.begin(account, `account-session:${session.sid}`);
    if (!offer) return ctx.redirect('/account');
    const { t } = translatorOf(ctx);
    await renderTotpEnrollPage(ctx, offer, {
      heading: t('enroll.title'),
      intro: t('accountEnroll.intro'),
      formAction: SET_UP_PAGE,
      backUrl: '/account',
      error: enrollmentErrorOf(ctx, config.support),
    });
  };
}

/**
 * POST /account/totp/enroll — confirms with the first code, then sends the browser to the page
 * that shows the recovery codes once; a code that does not confirm it leads back to the set-up
 * page, which says why (Post/Redirect/Get: reload and Back ask nothing again).
 */
export function createConfirmAccountEnrollment(deps: Pick<AccountDeps, 'secondFactor' | 'notices' | 'audit'>) {
  return async function confirmAccountEnrollment(ctx: Context) {
    const account: Account = ctx.state.account;
    const session: AccountSession = ctx.state.accountSession;
    const code = enteredTotpCode(ctx.state.form.code);
    ctx.status = 303;
    if (code === undefined) return ctx.redirect(enrollmentPageWithError(SET_UP_PAGE, 'code-shape'));
    const notice = await deps.notices.holdFromBrowser(ctx, account, 'totp-added');
    const confirmed = await deps.secondFactor.enrollment.confirm(account, `account-session:${session.sid}`, code);
    if (!confirmed.ok) {
      await notice.cancel();
      if (confirmed.reason === 'already-enrolled') return ctx.redirect('/account');
      return ctx.redirect(enrollmentPageWithError(SET_UP_PAGE, confirmed.reason));
    }
    await notice.release();
    deps.audit.record({ event: 'second_factor.added', accountId: account.id });
    await deps.secondFactor.recoveryCodesToShow.keep(account.id, recoveryCodesHolder(session), { codes: confirmed.recoveryCodes, reason: 'set-up', email: account.email });
    ctx.redirect('/account/recovery-codes/new');
  };
}
