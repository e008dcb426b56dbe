import type { Context } from 'koa';
import { clientNameOf } from './client-name.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';
import { sharingAskedWithSignIn, type Sharing } from './sharing-notice.ts';

export interface CheckEmailLocals {
  clientName: string;
  email: string;
  matchNumber: number;
  expiresAt: Date;
  error: string | undefined;
  /** The link was confirmed on another device: only "Continue" is left to do. */
  approved?: boolean;
  /** What the app will receive, shown beside the code form's button: signing in allows it. */
  sharing: Sharing | undefined;
}

/** Renders "check your email": the code form, the resend form and the waiting notice. */
export async function renderCheckEmail(ctx: Context, locals: CheckEmailLocals) {
  await ctx.render('check-email', locals);
}

/** GET /interaction/:uid/check */
export function createShowCheckEmail({ provider, signInCodes, approvals }: Pick<InteractionDeps, 'provider' | 'signInCodes' | 'approvals'>) {
  return async function showCheckEmail(ctx: Context) {
    const interaction: Interaction = ctx.state.interaction;
    const pending = await signInCodes.pending(interaction.uid);
    const clientName = await clientNameOf(provider, interaction.params.client_id);
    if (!pending) {
      if (!(await approvals.isApproved(interaction.uid))) return ctx.redirect(`/interaction/${interaction.uid}`);
      return ctx.render('approved-continue', { clientName });
    }
    const sharing = await sharingAskedWithSignIn(provider, interaction);
    await renderCheckEmail(ctx, { clientName, email: pending.email, matchNumber: pending.matchNumber, expiresAt: pending.expiresAt, error: undefined, sharing });
  };
}
