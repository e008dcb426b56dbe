import type { Context } from 'koa';
import type { InteractionDeps } from './interaction-deps.ts';

/**
 * POST /interaction/:uid/abort — "Cancel": the app gets access_denied. What the sign-in had reached
 * is forgotten: its code and link, an approval from another device, a proven email awaiting the
 * second factor; none of them may finish it afterwards.
 */
export function createAbortSignIn({ provider, signInCodes, approvals, secondFactor }: Pick<InteractionDeps, 'provider' | 'signInCodes' | 'approvals' | 'secondFactor'>) {
  return async function abortSignIn(ctx: Context) {
    const uid = ctx.params.uid!;
    await Promise.all([signInCodes.cancel(uid), approvals.forget(uid), secondFactor.pending.forget(uid)]);
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, { error: 'access_denied', error_description: 'The user cancelled the sign-in' }, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(returnTo);
  };
}
