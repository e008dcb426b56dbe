import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { seeOtherPage } from '../http/see-other-page.ts';
import { setNextStepAfterError } from '../http/next-step.ts';
import { emailChangeLimits } from '../auth/email-change-limits.ts';
import { createConfirmAccountEnrollment, createShowAccountEnrollment } from './account-totp-enrollment.ts';
import type { AccountDeps } from './account-deps.ts';
import { createFinishAccountSignIn, createStartAccountSignIn } from './account-sign-in.ts';
import { createConfirmEmailChange, createShowEmailChangeCode } from './confirm-email-change.ts';
import { createConfirmAccountDeletion, createDeleteAccount, createShowAccountDeleted } from './delete-account.ts';
import { createForgetDevices } from './forget-devices.ts';
import { createConfirmTotpRemoval, createRemoveTotp } from './remove-totp.ts';
import { createRequestEmailChange, createShowEmailChange } from './request-email-change.ts';
import { createConfirmRecoveryCodes, createRenewRecoveryCodes } from './renew-recovery-codes.ts';
import { requireFreshSecondFactor, requireRecentSignIn } from './require-fresh-second-factor.ts';
import { createShowAccount } from './show-account.ts';
import { continueAfterNewRecoveryCodes, createShowNewRecoveryCodes } from './show-recovery-codes.ts';
import { createAccountSignOut } from './sign-out.ts';
import { createSignOutBrowsers } from './sign-out-browsers.ts';
import { createRemoveAppAccess } from './remove-app-access.ts';
import { createExportAccountData } from './export-account-data.ts';
import { createChangeName, createShowNameForm } from './change-name.ts';
import { rememberPageLanguage } from './remember-page-language.ts';

/**
 * /account: a person's own page, signed in through /auth like any app. Every form carries a CSRF
 * token bound to the page's session; removing the authenticator and renewing recovery codes also
 * need a second-factor check from the last few minutes, and setting up an authenticator, changing
 * the address and deleting the account a recent sign-in (the authenticator where there is one,
 * else the email).
 */
export function createAccountRouter(deps: AccountDeps) {
  const { sessions } = deps;
  const page = sessions.require({ forForm: false });
  const formSession = sessions.require({ forForm: true });
  const readForm = sessions.readForm();
  const rememberLanguage = rememberPageLanguage(deps);
  // Every form: its CSRF token checked, then the page's language remembered on the account.
  const form = (ctx: Context, next: Next) => readForm(ctx, () => rememberLanguage(ctx, next));
  const fresh = requireFreshSecondFactor(deps);
  const recent = requireRecentSignIn(deps);
  const limits = emailChangeLimits(deps.config);

  const router = new Router({ prefix: '/account' });
  router.use(async function accountPage(ctx: Context, next: Next) {
    ctx.set('Cache-Control', 'no-store');
    // Whatever went wrong (an ended session, a stale form, a cancelled sign-in), the page is there to go back to.
    setNextStepAfterError(ctx, { href: '/account', label: { key: 'account.backToPage' } });
    return next();
  });

  router.get('/', page, createShowAccount(deps));
  router.get('/sign-in', createStartAccountSignIn(deps));
  router.get('/callback', createFinishAccountSignIn(deps));
  router.get('/totp/enroll', page, recent, createShowAccountEnrollment(deps));
  router.post('/totp/enroll', formSession, form, recent, createConfirmAccountEnrollment(deps));
  router.get('/totp/remove', page, fresh, createConfirmTotpRemoval());
  router.post('/totp/remove', formSession, form, fresh, createRemoveTotp(deps));
  router.get('/recovery-codes', page, fresh, createConfirmRecoveryCodes());
  router.post('/recovery-codes', formSession, form, fresh, createRenewRecoveryCodes(deps));
  router.get('/recovery-codes/new', page, createShowNewRecoveryCodes(deps));
  router.post('/recovery-codes/new', formSession, form, continueAfterNewRecoveryCodes);
  router.post('/devices/forget', formSession, form, createForgetDevices(deps));
  router.post('/browsers/sign-out', formSession, form, recent, createSignOutBrowsers(deps));
  router.post('/apps/remove', formSession, form, createRemoveAppAccess(deps));
  router.post('/export', formSession, form, createExportAccountData(deps));
  router.post('/sign-out', formSession, form, createAccountSignOut(deps));
  // Moving the account to another address hands it to whoever reads that mailbox: asked for like
  // a deletion (a recent sign-in); the code from the new mailbox is the proof that completes it.
  router.get('/email', page, recent, createShowEmailChange(deps));
  router.post('/email', formSession, form, recent, createRequestEmailChange({ ...deps, limits }));
  router.get('/email/confirm', page, createShowEmailChangeCode(deps));
  router.post('/email/confirm', formSession, form, createConfirmEmailChange({ ...deps, limits }));
  router.get('/name', page, createShowNameForm(deps));
  router.post('/name', formSession, form, createChangeName(deps));
  router.get('/delete', page, recent, createConfirmAccountDeletion());
  router.post('/delete', formSession, form, recent, createDeleteAccount(deps));
  router.get('/deleted', createShowAccountDeleted(deps));
  // A form's address opened with GET (a reload after a failed redirect, a bookmark): the account
  // page, where those forms are, never the action itself.
  for (const action of ['/devices/forget', '/browsers/sign-out', '/apps/remove', '/export', '/sign-out']) router.get(action, seeOtherPage(() => '/account'));
  return router;
}
