import type { Context } from 'koa';
import { queryCount, queryKey } from '../http/outcome-query.ts';
import { translatorOf } from '../i18n/page-language.ts';
import { clientNameOf } from './client-name.ts';
import { cancelLabelOf } from './device-sign-in.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';
import { sharingAskedWithSignIn, type Sharing } from './sharing-notice.ts';

export interface CheckEmailLocals {
  clientName: string;
  /** The "Cancel" button's words (interaction/device-sign-in.ts). */
  cancelLabel: string;
  email: string;
  matchNumber: number;
  expiresAt: Date;
  error: string | undefined;
  /** The link was confirmed on another device: only "Continue" is left to do. */
  approved?: boolean;
  /** What the app will receive, shown beside the code form's button: signing in allows it. */
  sharing: Sharing | undefined;
  /** Said once, after the step that led back here (see CHECK_PAGE_NOTICES). */
  notice?: CheckPageNotice;
}

/**
 * Why the browser was sent back to "check your email", named in its address (`?notice=`): a new
 * mail went out and the earlier ones stopped working, or "I confirmed the link on another device"
 * was pressed before that happened.
 */
export const CHECK_PAGE_NOTICES = ['resent', 'not-confirmed'] as const;
export type CheckPageNotice = (typeof CHECK_PAGE_NOTICES)[number];
const isNotice = (value: unknown): value is CheckPageNotice => CHECK_PAGE_NOTICES.includes(value as CheckPageNotice);

/** Why a code typed into the check page was not accepted (verify-code.ts redirects back with `?error=`). */
export const CHECK_PAGE_ERRORS = ['code-shape', 'wrong-code'] as const;
export type CheckPageError = (typeof CHECK_PAGE_ERRORS)[number];

/**
 * The check page's error, from its address: a key, and for a wrong code the tries left as the
 * redemption counted them (a reload shows the same and spends none; a made-up number in range
 * misleads only whoever made the address).
 */
function checkPageError(ctx: Context, { codeLength, maxWrongAttempts }: { codeLength: number; maxWrongAttempts: number }): string | undefined {
  const { t, say } = translatorOf(ctx);
  switch (queryKey(ctx, 'error', CHECK_PAGE_ERRORS)) {
    case 'code-shape':
      return t('check.error.codeShape', { length: codeLength });
    case 'wrong-code': {
      const left = queryCount(ctx, 'left', { min: 1, max: maxWrongAttempts - 1 });
      return left === undefined ? t('check.error.wrongCode') : say([{ key: 'check.error.wrongCode' }, { key: 'check.error.triesLeft', params: { count: left } }]);
    }
    case undefined:
      return undefined;
  }
}

/** Renders "check your email": the code form, the resend form and the waiting notice. */
export async function renderCheckEmail(ctx: Context, locals: CheckEmailLocals) {
  // "For the next 9 minutes" reads the same everywhere; the clock time is in UTC until the page's
  // script shows it in the reader's own time zone.
  const minutesLeft = Math.max(1, Math.round((locals.expiresAt.getTime() - Date.now()) / 60_000));
  await ctx.render('check-email', { ...locals, minutesLeft });
}

/** GET /interaction/:uid/check */
export function createShowCheckEmail({ provider, signInCodes, approvals, config }: Pick<InteractionDeps, 'provider' | 'signInCodes' | 'approvals' | 'config'>) {
  const errorLimits = { codeLength: config.signInCode.length, maxWrongAttempts: config.signInCode.maxWrongAttempts };
  return async function showCheckEmail(ctx: Context) {
    const interaction: Interaction = ctx.state.interaction;
    const pending = await signInCodes.pending(interaction.uid);
    const clientName = await clientNameOf(provider, interaction.params.client_id, ctx);
    if (!pending) {
      if (!(await approvals.isApproved(interaction.uid))) return ctx.redirect(`/interaction/${interaction.uid}`);
      return ctx.render('approved-continue', { clientName });
    }
    const sharing = await sharingAskedWithSignIn(provider, interaction);
    const notice = isNotice(ctx.query.notice) ? ctx.query.notice : undefined;
    const error = checkPageError(ctx, errorLimits);
    await renderCheckEmail(ctx, { clientName, cancelLabel: cancelLabelOf(interaction, clientName, translatorOf(ctx)), email: pending.email, matchNumber: pending.matchNumber, expiresAt: pending.expiresAt, error, sharing, notice });
  };
}
