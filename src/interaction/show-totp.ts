import type { Context } from 'koa';
import { translatorOf } from '../i18n/page-language.ts';
import type { MessageRef } from '../i18n/translate.ts';
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
  const { t, say } = translatorOf(ctx);
  const clientName = subject.clientName;
  // SUPPORT_CONTACT in parentheses where the sentence names the administrator (its label: the alert is text).
  const support = config.support ? { support: config.support.label } : undefined;
  switch (error) {
    case 'shape':
      return { errorFor, error: t(errorFor === 'totp' ? 'totp.error.shape' : 'totp.error.recoveryShape') };
    case 'wrong': {
      const left = queryCount(ctx, 'left', { min: 0, max: config.secondFactor.maxAttemptsPerSignIn });
      const notRight: MessageRef = { key: errorFor === 'totp' ? 'totp.error.wrong' : 'totp.error.recoveryWrong' };
      // At 0 the next code is refused unread: say so now, not after one more try.
      const lastTry: MessageRef = subject.forDevice ? { key: 'totp.error.lastTryDevice' } : { key: 'totp.error.lastTry', params: { clientName } };
      const tries: MessageRef[] = left === undefined ? [] : left === 0 ? [lastTry] : [{ key: 'check.error.triesLeft', params: { count: left } }];
      return { errorFor, error: say([notRight, ...tries]) };
    }
    case 'used':
      return { errorFor, error: t('totp.error.used') };
    case 'spent':
      return { errorFor, error: say([{ key: 'totp.error.spent' }, subject.forDevice ? START_AGAIN_ON_DEVICE : { key: 'totp.error.startAgainApp', params: { clientName } }]) };
    case 'account-spent': {
      const minutes = queryCount(ctx, 'wait', { min: 1, max: Math.ceil(config.secondFactor.accountAttempts.windowSeconds / 60) });
      return { errorFor, error: minutes === undefined ? t('totp.error.accountSpentWhile') : t('totp.error.accountSpent', { count: minutes }) };
    }
    case 'locked':
      return { errorFor, error: support ? t('totp.error.lockedWithSupport', support) : t('totp.error.locked') };
    case 'unavailable':
      return { errorFor, error: support ? t('totp.error.unavailableWithSupport', support) : t('totp.error.unavailable') };
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
