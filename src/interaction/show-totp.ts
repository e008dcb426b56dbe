import type { Context } from 'koa';
import { appRequestsMfa } from '../oidc/mfa-request.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';
import type { SecondFactorSubject } from './second-factor-subject.ts';

/**
 * Whether "don't ask again on this browser" is offered: the app allows it, remembering is on, and
 * the app did not ask for the code itself (such requests are never skipped, so the offer would mislead).
 */
export function rememberOffered(ctx: Context, { secondFactor }: Pick<InteractionDeps, 'secondFactor'>): boolean {
  const subject: SecondFactorSubject = ctx.state.secondFactorSubject;
  const interaction: Interaction = ctx.state.interaction;
  return subject.client.rememberDevice && secondFactor.devices.enabled && !appRequestsMfa(interaction.params);
}

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
    rememberDays: rememberOffered(ctx, { secondFactor }) ? secondFactor.devices.days : undefined,
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
