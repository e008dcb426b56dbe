import type { Context } from 'koa';
import type { InteractionDeps } from './interaction-deps.ts';

export type SignInStatus = 'waiting' | 'approved' | 'expired';

/** GET /interaction/:uid/status — the waiting tab asks whether the link was confirmed elsewhere. */
export function createPollApproval({ signInCodes, approvals }: Pick<InteractionDeps, 'signInCodes' | 'approvals'>) {
  return async function pollApproval(ctx: Context) {
    const uid = ctx.params.uid!;
    let status: SignInStatus = 'waiting';
    if (await approvals.isApproved(uid)) status = 'approved';
    else if (!(await signInCodes.pending(uid))) status = 'expired';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status };
  };
}
