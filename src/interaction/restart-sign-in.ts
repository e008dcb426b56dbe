import type { Context } from 'koa';
import type { InteractionDeps } from './interaction-deps.ts';

/**
 * POST /interaction/:uid/restart — "use a different email": forget the pending link and code, and
 * an approval the link already gave on another device (the tab would otherwise continue as that
 * address). Buffered deletes: no round trip of their own.
 */
export function createRestartSignIn({ signInCodes, approvals }: Pick<InteractionDeps, 'signInCodes' | 'approvals'>) {
  return async function restartSignIn(ctx: Context) {
    await Promise.all([signInCodes.cancel(ctx.params.uid!), approvals.forget(ctx.params.uid!)]);
    ctx.status = 303;
    ctx.redirect(`/interaction/${ctx.params.uid}`);
  };
}
