import type { Context } from 'koa';
import { HttpError, LinkNoLongerWorks } from '../http/errors.ts';
import type { MessageRef } from '../i18n/translate.ts';
import { currentStepOf } from './current-step.ts';
import type { FinishLogin } from './finish-login.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import { showApprovedAfterRedirect } from './link-approved-page.ts';
import { interactionOfThisBrowser } from './load-interaction.ts';
import { readAheadSignIn } from './read-ahead-sign-in.ts';
import { LINK_TOKEN_SHAPE, linkEnded } from './open-link.ts';
import { sharingAskedWithSignIn } from './sharing-notice.ts';

const LINK_ENDED: readonly MessageRef[] = [{ key: 'error.link.ended' }, { key: 'error.link.requestNew' }];

/**
 * POST /interaction/:uid/link — redeems the link. In the browser holding the interaction cookie
 * the sign-in finishes here; anywhere else it only records an approval that the waiting tab takes,
 * because a link opened elsewhere must never sign that other browser into the app.
 */
export function createConfirmLink({ provider, signInCodes, approvals, secondFactor, config, audit, scopes }: Pick<InteractionDeps, 'provider' | 'signInCodes' | 'approvals' | 'secondFactor' | 'config' | 'audit' | 'scopes'>, finishLogin: FinishLogin) {
  return async function confirmLink(ctx: Context) {
    const uid = ctx.params.uid!;
    const form: Record<string, string> = ctx.state.form;
    const token = form.t ?? '';
    if (!LINK_TOKEN_SHAPE.test(token)) throw linkEnded(signInCodes, uid, token, LINK_ENDED);

    const interaction = await interactionOfThisBrowser(provider, ctx);
    if (interaction) {
      // A link that works signs in next (read with the interaction: router.ts).
      const pending = await signInCodes.pending(uid);
      if (pending) await readAheadSignIn(scopes, pending.email);
      const result = await signInCodes.redeemLink(uid, token);
      if (!result.ok) throw new LinkNoLongerWorks(await currentStepOf({ secondFactor }, interaction));
      // Where the confirmation page showed what the app will receive beside its button, consent is given with it.
      return finishLogin(ctx, interaction, result.email, { consentGiven: (await sharingAskedWithSignIn(provider, interaction)) !== undefined });
    }

    const typed = (form.number ?? '').trim();
    const chosen = /^\d{2}$/.test(typed) ? Number(typed) : undefined;
    if (chosen === undefined) {
      // The token has the shape of one (checked above), so the way back is a path of this site.
      throw new HttpError(400, 'invalid_request', { key: 'error.link.typeNumber.title' }, { key: 'error.link.typeNumber.message' }, {}, { nextStep: { href: `/interaction/${uid}/link?t=${token}`, label: { key: 'next.backToConfirmation' } } });
    }
    const result = await signInCodes.redeemLink(uid, token, chosen);
    if (!result.ok) {
      if (result.reason === 'wrong-number') {
        // Whoever confirmed has not seen the waiting tab: a sign-in someone else began for this
        // address, or a forwarded mail. Neither number is written (README "Audit log").
        audit.record({ event: 'sign_in.link_number_rejected', clientId: result.clientId, address: result.email });
        throw new HttpError(400, 'wrong_number', { key: 'error.link.wrongNumber.title' }, { key: 'error.link.wrongNumber.message' });
      }
      throw linkEnded(signInCodes, uid, token, LINK_ENDED);
    }
    await approvals.record(uid, result.email, result.requestId);
    showApprovedAfterRedirect(ctx, config, uid, result.email, result.device);
  };
}
