import type { Context } from 'koa';
import type { InteractionDeps } from './interaction-deps.ts';
import type { SecondFactorSubject } from './second-factor-subject.ts';

export interface TotpPageLocals {
  error?: string;
  /** Which of the two forms the error belongs to. */
  errorFor?: 'totp' | 'recovery-code';
}

/** Renders the authenticator prompt: the code form, "remember this browser", and the recovery-code form. */
export async function renderTotpPage(ctx: Context, { secondFactor }: Pick<InteractionDeps, 'secondFactor'>, locals: TotpPageLocals = {}) {
  const subject: SecondFactorSubject = ctx.state.secondFactorSubject;
  await ctx.render('totp', {
    clientName: subject.clientName,
    email: subject.account.email,
    stepUp: subject.kind === 'step-up',
    rememberDays: subject.client.rememberDevice && secondFactor.devices.enabled ? secondFactor.devices.days : undefined,
    error: locals.error,
    errorFor: locals.errorFor,
  });
}

/** GET /interaction/:uid/totp — asks for the authenticator code (or sends people without one to set it up). */
export function createShowTotp(deps: Pick<InteractionDeps, 'secondFactor'>) {
  return async function showTotp(ctx: Context) {
    const subject: SecondFactorSubject = ctx.state.secondFactorSubject;
    if (!subject.account.totp) return ctx.redirect(`/interaction/${ctx.params.uid}/totp/enroll`);
    await renderTotpPage(ctx, deps);
  };
}
