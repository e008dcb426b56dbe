import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { requireCsrfForm } from '../http/csrf.ts';
import { seeOtherPage } from '../http/see-other-page.ts';
import { backToSignIn, setNextStepAfterError } from '../http/next-step.ts';
import { createAbortSignIn } from './abort-sign-in.ts';
import { createConfirmConsent } from './confirm-consent.ts';
import { createConfirmLink } from './confirm-link.ts';
import { showLinkApproved } from './link-approved-page.ts';
import { createConfirmTotpEnrollment } from './confirm-totp-enrollment.ts';
import { createContinueApproved } from './continue-approved.ts';
import { markDeviceSignIn, sayWhenDeviceSignInEnded } from './device-sign-in-mark.ts';
import { createFinishLogin } from './finish-login.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import { continueFinishedSignIn, loadInteraction } from './load-interaction.ts';
import { createOpenLink } from './open-link.ts';
import { createPollApproval } from './poll-approval.ts';
import { createRequestEmail } from './request-email.ts';
import { createRestartSignIn } from './restart-sign-in.ts';
import { loadSecondFactorSubject } from './second-factor-subject.ts';
import { requireRecentSessionForStepUpEnrolment } from './step-up-enrolment.ts';
import { createShowCheckEmail } from './show-check-email.ts';
import { createShowPrompt } from './show-prompt.ts';
import { continueAfterRecoveryCodes, createShowSignInRecoveryCodes } from './show-recovery-codes.ts';
import { createShowTotp } from './show-totp.ts';
import { createShowTotpEnrollment } from './show-totp-enrollment.ts';
import { createVerifyCode } from './verify-code.ts';
import { createVerifyTotp } from './verify-totp.ts';

import { readInteractionRecords } from './read-interaction-records.ts';
import { startCodeEntryChecks, startSignInMailChecks } from './start-limit-checks.ts';

const UID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Every interaction route and its middleware, in order: the order reads as the policy.
 * All of them live under /interaction/:uid because that is the path of the interaction cookie.
 */
export function createInteractionRouter(deps: InteractionDeps) {
  const { provider, csrf, config } = deps;
  const finishLogin = createFinishLogin(deps);
  // Every POST: size-capped form with a CSRF token bound to this sign-in.
  const form = requireCsrfForm({ csrf, maxBodyBytes: config.maxBodyBytes, scopeOf: (ctx) => ({ interaction: ctx.params.uid ?? '' }) });
  const login = loadInteraction(provider, 'login');
  const consent = loadInteraction(provider, 'consent');
  const any = loadInteraction(provider);
  // The email is proven in this interaction (login prompt), or the session is being stepped up (mfa prompt).
  const secondFactorSubject = loadSecondFactorSubject(deps);
  const stepUpEnrolment = requireRecentSessionForStepUpEnrolment(deps);
  // Each route reads its records in one batch, after its form is parsed (so a route's counters can join).
  const read = readInteractionRecords(deps.scopes);
  const seePage = (page: string) => seeOtherPage((ctx) => `/interaction/${ctx.params.uid}${page}`);

  const router = new Router({ prefix: '/interaction/:uid' });
  router.use(async function interactionPage(ctx: Context, next: Next) {
    if (!UID.test(ctx.params.uid ?? '')) return; // 404 from the error handler
    ctx.set('Cache-Control', 'no-store');
    ctx.state.uid = ctx.params.uid;
    ctx.state.csrfToken = csrf.tokenFor({ interaction: ctx.params.uid! });
    // An error on a page of the sign-in leads back to it. Not on the link's pages: they are opened
    // on other devices too, which have no sign-in page to go back to (open-link and confirm-link
    // name their own next steps).
    if (!ctx.path.startsWith(`/interaction/${ctx.params.uid}/link`)) setNextStepAfterError(ctx, backToSignIn(ctx.params.uid!));
    return next();
  });
  router.use(sayWhenDeviceSignInEnded);

  router.get('/', read, any, markDeviceSignIn(deps), continueFinishedSignIn, createShowPrompt(deps));
  router.post('/email', form, startSignInMailChecks(deps), read, login, createRequestEmail(deps));
  router.get('/check', read, login, continueFinishedSignIn, createShowCheckEmail(deps));
  router.post('/code', form, startCodeEntryChecks(deps), read, login, createVerifyCode(deps, finishLogin));
  router.get('/link', read, createOpenLink(deps));
  router.post('/link', form, read, createConfirmLink(deps, finishLogin));
  router.get('/link/approved', showLinkApproved);
  router.get('/status', read, login, createPollApproval(deps));
  router.post('/continue', form, read, login, createContinueApproved(deps, finishLogin));
  router.post('/restart', form, read, login, createRestartSignIn(deps));
  router.get('/totp', read, any, continueFinishedSignIn, secondFactorSubject, createShowTotp(deps));
  router.post('/totp', form, read, any, secondFactorSubject, createVerifyTotp(deps));
  router.get('/totp/enroll', read, any, continueFinishedSignIn, secondFactorSubject, stepUpEnrolment, createShowTotpEnrollment(deps));
  router.post('/totp/enroll', form, read, any, secondFactorSubject, stepUpEnrolment, createConfirmTotpEnrollment(deps));
  router.get('/recovery-codes', read, createShowSignInRecoveryCodes(deps));
  router.post('/recovery-codes', form, read, any, continueAfterRecoveryCodes);
  router.post('/consent', form, read, consent, createConfirmConsent(deps));
  router.post('/abort', form, read, any, createAbortSignIn(deps));

  // A form's address opened with GET (a reload after a redirect that failed, a bookmark, the
  // history): the page the form belongs to, never the form's action (a GET changes nothing).
  for (const [action, page] of [['/email', ''], ['/code', '/check'], ['/continue', '/check'], ['/restart', ''], ['/consent', ''], ['/abort', '']] as const) {
    router.get(action, seePage(page));
  }
  return router;
}
