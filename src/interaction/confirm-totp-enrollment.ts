import type { Context } from 'koa';
import { completeSecondFactor } from './complete-second-factor.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';
import type { SecondFactorSubject } from './second-factor-subject.ts';
import { enrollmentPageWithError, enteredTotpCode } from './totp-enrollment-pages.ts';

/**
 * POST /interaction/:uid/totp/enroll — the first code from the new authenticator. It activates the
 * authenticator and completes the sign-in with both factors; the browser then goes to the page
 * that shows the recovery codes once (show-recovery-codes.ts) before it continues to the app.
 * A code that does not confirm it leads back to the set-up page, which says why.
 */
export function createConfirmTotpEnrollment({ provider, accounts, secondFactor, notices, audit }: Pick<InteractionDeps, 'provider' | 'accounts' | 'secondFactor' | 'notices' | 'audit'>) {
  return async function confirmTotpEnrollment(ctx: Context) {
    const interaction: Interaction = ctx.state.interaction;
    const subject: SecondFactorSubject = ctx.state.secondFactorSubject;
    const form: Record<string, string> = ctx.state.form;
    const setUpPage = `/interaction/${interaction.uid}/totp/enroll`;
    const code = enteredTotpCode(form.code);
    ctx.status = 303;
    if (code === undefined) return ctx.redirect(enrollmentPageWithError(setUpPage, 'code-shape'));
    const notice = await notices.holdFromBrowser(ctx, subject.account, 'totp-added');
    const confirmed = await secondFactor.enrollment.confirm(subject.account, `interaction:${interaction.uid}`, code);
    if (!confirmed.ok) {
      await notice.cancel();
      if (confirmed.reason === 'already-enrolled') return ctx.redirect(`/interaction/${interaction.uid}/totp`);
      return ctx.redirect(enrollmentPageWithError(setUpPage, confirmed.reason));
    }
    await notice.release();
    audit.record({ event: 'second_factor.added', accountId: subject.account.id, clientId: String(interaction.params.client_id) });
    if (subject.kind === 'sign-in') await secondFactor.pending.forget(interaction.uid);
    await secondFactor.recoveryCodesToShow.keep(subject.account.id, `interaction:${interaction.uid}`, { codes: confirmed.recoveryCodes, reason: 'set-up', email: subject.account.email });
    // Where the browser goes after the codes: oidc-provider keeps it with the interaction (returnTo).
    await completeSecondFactor(provider, accounts, ctx, interaction, subject, 'otp');
    ctx.status = 303;
    ctx.redirect(`/interaction/${interaction.uid}/recovery-codes`);
  };
}
