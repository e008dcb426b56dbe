import type { Context } from 'koa';
import type { InteractionDeps } from './interaction-deps.ts';

/** POST /interaction/:uid/abort — "Cancel": the app gets access_denied. */
export function createAbortSignIn({ provider, signInCodes, secondFactor }: Pick<InteractionDeps, 'provider' | 'signInCodes' | 'secondFactor'>) {
  return async function abortSignIn(ctx: Context) {
    await Promise.all([signInCodes.cancel(ctx.params.uid!), secondFactor.pending.forget(ctx.params.uid!)]);
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, { error: 'access_denied', error_description: 'The user cancelled the sign-in' }, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(returnTo);
  };
}
