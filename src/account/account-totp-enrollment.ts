import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { enrollmentProblem, enteredTotpCode, renderTotpEnrollPage } from '../interaction/totp-enrollment-pages.ts';
import type { AccountDeps } from './account-deps.ts';
import type { AccountSession } from './account-session.ts';

async function renderEnrollment(ctx: Context, { secondFactor }: Pick<AccountDeps, 'secondFactor'>, error?: string) {
  const account: Account = ctx.state.account;
  const session: AccountSession = ctx.state.accountSession;
  const offer = await secondFactor.enrollment.begin(account, `account-session:${session.sid}`);
  if (!offer) return ctx.redirect('/account');
  await renderTotpEnrollPage(ctx, offer, {
    heading: 'Set up an authenticator app',
    intro: 'Once it is on, your sign-ins ask for a code from your phone after the email (except at apps whose administrator turned the second step off).',
    formAction: '/account/totp/enroll',
    backUrl: '/account',
    error,
  });
}

/** GET /account/totp/enroll */
export function createShowAccountEnrollment(deps: Pick<AccountDeps, 'secondFactor'>) {
  return async function showAccountEnrollment(ctx: Context) {
    await renderEnrollment(ctx, deps);
  };
}

/** POST /account/totp/enroll — confirms with the first code, then shows the recovery codes once. */
export function createConfirmAccountEnrollment(deps: Pick<AccountDeps, 'secondFactor' | 'notices'>) {
  return async function confirmAccountEnrollment(ctx: Context) {
    const account: Account = ctx.state.account;
    const session: AccountSession = ctx.state.accountSession;
    const code = enteredTotpCode(ctx.state.form.code);
    if (code === undefined) {
      ctx.status = 400;
      return renderEnrollment(ctx, deps, 'Enter the 6-digit code your authenticator app shows for this account.');
    }
    const confirmed = await deps.secondFactor.enrollment.confirm(account, `account-session:${session.sid}`, code);
    if (!confirmed.ok) {
      if (confirmed.reason === 'already-enrolled') return ctx.redirect('/account');
      ctx.status = 400;
      return renderEnrollment(ctx, deps, enrollmentProblem(confirmed.reason));
    }
    await deps.notices.send(ctx, account, 'totp-added');
    await ctx.render('recovery-codes', { codes: confirmed.recoveryCodes, continueUrl: '/account', continueLabel: 'Back to your account', fresh: true });
  };
}
