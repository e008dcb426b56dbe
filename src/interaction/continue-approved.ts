import type { Context } from 'koa';
import type { FinishLogin } from './finish-login.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';

/** POST /interaction/:uid/continue — the waiting tab takes the approval and finishes the sign-in. */
export function createContinueApproved({ approvals }: Pick<InteractionDeps, 'approvals'>, finishLogin: FinishLogin) {
  return async function continueApproved(ctx: Context) {
    const approval = await approvals.take(ctx.params.uid!);
    // Not confirmed yet (the no-script button was pressed early): back to waiting, saying so.
    if (!approval) {
      ctx.status = 303;
      return ctx.redirect(`/interaction/${ctx.params.uid}/check?notice=not-confirmed`);
    }
    const interaction: Interaction = ctx.state.interaction;
    // Approved on another device, and this tab may continue by itself: consent is asked on its own page.
    return finishLogin(ctx, interaction, approval.email, { consentGiven: false });
  };
}
