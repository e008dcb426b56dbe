import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { emailChangeLimits } from '../auth/email-change-limits.ts';
import { createConfirmAccountEnrollment, createShowAccountEnrollment } from './account-totp-enrollment.ts';
import type { AccountDeps } from './account-deps.ts';
import { createFinishAccountSignIn, createStartAccountSignIn } from './account-sign-in.ts';
import { createConfirmEmailChange, createShowEmailChangeCode } from './confirm-email-change.ts';
import { createConfirmAccountDeletion, createDeleteAccount, createShowAccountDeleted, requireFreshSecondFactorIfAny } from './delete-account.ts';
import { createForgetDevices } from './forget-devices.ts';
import { createConfirmTotpRemoval, createRemoveTotp } from './remove-totp.ts';
import { createRequestEmailChange, createShowEmailChange } from './request-email-change.ts';
import { createConfirmRecoveryCodes, createRenewRecoveryCodes } from './renew-recovery-codes.ts';
import { requireFreshSecondFactor } from './require-fresh-second-factor.ts';
import { createShowAccount } from './show-account.ts';
import { createAccountSignOut } from './sign-out.ts';

/**
 * /account: a person's own page, signed in through /auth like any app. Every form carries a CSRF
 * token bound to the page's session; removing the authenticator, renewing recovery codes, and
 * changing the address of or deleting an account that has an authenticator also need a
 * second-factor check from the last few minutes.
 */
export function createAccountRouter(deps: AccountDeps) {
  const { sessions } = deps;
  const page = sessions.require({ forForm: false });
  const formSession = sessions.require({ forForm: true });
  const form = sessions.readForm();
  const fresh = requireFreshSecondFactor(deps);
  const limits = emailChangeLimits(deps.config);

  const router = new Router({ prefix: '/account' });
  router.use(async function accountPage(ctx: Context, next: Next) {
    ctx.set('Cache-Control', 'no-store');
    return next();
  });

  router.get('/', page, createShowAccount(deps));
  router.get('/sign-in', createStartAccountSignIn(deps));
  router.get('/callback', createFinishAccountSignIn(deps));
  router.get('/totp/enroll', page, createShowAccountEnrollment(deps));
  router.post('/totp/enroll', formSession, form, createConfirmAccountEnrollment(deps));
  router.get('/totp/remove', page, fresh, createConfirmTotpRemoval());
  router.post('/totp/remove', formSession, form, fresh, createRemoveTotp(deps));
  router.get('/recovery-codes', page, fresh, createConfirmRecoveryCodes());
  router.post('/recovery-codes', formSession, form, fresh, createRenewRecoveryCodes(deps));
  router.post('/devices/forget', formSession, form, createForgetDevices(deps));
  router.post('/sign-out', formSession, form, createAccountSignOut(deps));
  // Moving the account to another address hands it to whoever reads that mailbox: asked for like
  // a deletion (a fresh authenticator check when there is one); the code from the new mailbox
  // is the proof that completes it.
  router.get('/email', page, requireFreshSecondFactorIfAny(fresh), createShowEmailChange());
  router.post('/email', formSession, form, requireFreshSecondFactorIfAny(fresh), createRequestEmailChange({ ...deps, limits }));
  router.get('/email/confirm', page, createShowEmailChangeCode(deps));
  router.post('/email/confirm', formSession, form, createConfirmEmailChange({ ...deps, limits }));
  router.get('/delete', page, requireFreshSecondFactorIfAny(fresh), createConfirmAccountDeletion());
  router.post('/delete', formSession, form, requireFreshSecondFactorIfAny(fresh), createDeleteAccount(deps));
  router.get('/deleted', createShowAccountDeleted(deps));
  return router;
}
