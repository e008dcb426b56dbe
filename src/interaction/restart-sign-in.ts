import type { Context } from 'koa';
import type { InteractionDeps } from './interaction-deps.ts';

/** POST /interaction/:uid/restart — "use a different email": forget the pending link and code. */
export function createRestartSignIn({ signInCodes }: Pick<InteractionDeps, 'signInCodes'>) {
  return async function restartSignIn(ctx: Context) {
    await signInCodes.cancel(ctx.params.uid!);
    ctx.status = 303;
    ctx.redirect(`/interaction/${ctx.params.uid}`);
  };
}
