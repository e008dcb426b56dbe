import type { Context } from 'koa';
import { supportContactInParentheses } from '../config/support-contact.ts';
import { queryCount, queryKey } from '../http/outcome-query.ts';
import { appRequestsMfa } from '../oidc/mfa-request.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';
import { START_AGAIN_ON_DEVICE } from './device-sign-in.ts';
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

/** Why an answer to the prompt was not accepted (verify-totp.ts redirects back with `?error=`). */
export const TOTP_PAGE_ERRORS = ['shape', 'wrong', 'used', 'spent', 'account-spent', 'locked', 'unavailable'] as const;
export type TotpPageError = (typeof TOTP_PAGE_ERRORS)[number];
/** Which of the two forms the error belongs to: `?field=recovery-code`, else the authenticator code. */
export type TotpPageField = 'totp' | 'recovery-code';

export interface TotpPageOutcome {
  error: TotpPageError;
  field: TotpPageField;
  /** `wrong`: the tries left as the check counted them. */
  left?: number;
  /** `account-spent`: minutes until the account's budget opens again. */
  waitMinutes?: number;
}

/** The page address that shows `outcome`. */
export function totpPageOutcomeQuery({ error, field, left, waitMinutes }: TotpPageOutcome) {
  return { error, field: field === 'recovery-code' ? field : undefined, left, wait: waitMinutes };
}

/** The page's error, from its address; each count is checked against the range the check can produce. */
function outcomeMessage(ctx: Context, { config }: Pick<InteractionDeps, 'config'>): { error: string; errorFor: TotpPageField } | undefined {
  const subject: SecondFactorSubject = ctx.state.secondFactorSubject;
  const error = queryKey(ctx, 'error', TOTP_PAGE_ERRORS);
  if (!error) return undefined;
  const errorFor: TotpPageField = queryKey(ctx, 'field', ['recovery-code'] as const) ?? 'totp';
  switch (error) {
    case 'shape':
      return { errorFor, error: errorFor === 'totp' ? 'Enter the 6-digit code your authenticator app shows.' : 'Enter one of your recovery codes: ten letters and digits, like 7k3m9-x2p4q.' };
    case 'wrong': {
      const left = queryCount(ctx, 'left', { min: 0, max: config.secondFactor.maxAttemptsPerSignIn });
      // At 0 the next code is refused unread: say so now, not after one more try.
      const lastTry = subject.forDevice ? ` That was the last try for now: in a while, start again on your device to get a new code.` : ` That was the last try for now: go back to ${subject.clientName} and start again in a while.`;
      const tries = left === undefined ? '' : left === 0 ? lastTry : ` ${left} ${left === 1 ? 'try' : 'tries'} left.`;
      return { errorFor, error: `${errorFor === 'totp' ? 'That code is not right.' : 'That recovery code is not right, or it was already used.'}${tries}` };
    }
    case 'used':
      return { errorFor, error: 'That code was already used. Wait for your app to show the next one.' };
    case 'spent':
      return { errorFor, error: `Too many wrong codes for this sign-in. ${subject.forDevice ? START_AGAIN_ON_DEVICE : `Go back to ${subject.clientName} and start again.`}` };
    case 'account-spent': {
      const minutes = queryCount(ctx, 'wait', { min: 1, max: Math.ceil(config.secondFactor.accountAttempts.windowSeconds / 60) });
      return { errorFor, error: `Too many wrong codes. Wait ${minutes === undefined ? 'a while' : `${minutes} minute${minutes === 1 ? '' : 's'}`} and try again.` };
    }
    case 'locked':
      return { errorFor, error: `Too many wrong codes in a row: the second step of this account is locked. Try again tomorrow, or ask the administrator${supportContactInParentheses(config.support)} to unlock it.` };
    case 'unavailable':
      return { errorFor, error: `Codes from your authenticator app cannot be checked at the moment. Use one of your recovery codes below, or ask the administrator of this service${supportContactInParentheses(config.support)}.` };
  }
}

/** Renders the authenticator prompt: the code form, "remember this browser", and the recovery-code form. */
export async function renderTotpPage(ctx: Context, { secondFactor, config }: Pick<InteractionDeps, 'secondFactor' | 'config'>) {
  const subject: SecondFactorSubject = ctx.state.secondFactorSubject;
  const outcome = outcomeMessage(ctx, { config });
  await ctx.render('totp', {
    clientName: subject.clientName,
    cancelLabel: subject.cancelLabel,
    email: subject.account.email,
    stepUp: subject.kind === 'step-up',
    rememberDays: rememberOffered(ctx, { secondFactor }) ? secondFactor.devices.days : undefined,
    error: outcome?.error,
    errorFor: outcome?.errorFor,
  });
}

/** GET /interaction/:uid/totp — asks for the authenticator code (or sends people without one to set it up). */
export function createShowTotp(deps: Pick<InteractionDeps, 'secondFactor' | 'config'>) {
  return async function showTotp(ctx: Context) {
    const subject: SecondFactorSubject = ctx.state.secondFactorSubject;
    if (!subject.account.totp) return ctx.redirect(`/interaction/${ctx.params.uid}/totp/enroll`);
    await renderTotpPage(ctx, deps);
  };
}
