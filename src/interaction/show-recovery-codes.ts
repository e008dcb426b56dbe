import { translatorOf } from '../i18n/page-language.ts';
import type { Context } from 'koa';
import { clientNameOf } from './client-name.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import { interactionOfThisBrowser, type Interaction } from './load-interaction.ts';
import { renderRecoveryCodesPage } from './recovery-codes-page.ts';

/**
 * GET /interaction/:uid/recovery-codes — where setting up an authenticator during a sign-in leads
 * (confirm-totp-enrollment.ts): the new recovery codes, once, then on to the app. A reload, or Back
 * from the app, finds a page that says they are not shown again; only the browser holding the
 * sign-in is ever shown them.
 */
export function createShowSignInRecoveryCodes({ provider, secondFactor }: Pick<InteractionDeps, 'provider' | 'secondFactor'>) {
  return async function showSignInRecoveryCodes(ctx: Context) {
    const uid = ctx.params.uid!;
    const interaction = await interactionOfThisBrowser(provider, ctx);
    // The sign-in went on to the app since (oidc-provider then forgets it), or this browser never held it.
    if (!interaction) return renderRecoveryCodesPage(ctx, { shown: undefined, confirmAction: '', continueLabel: '', continueUrl: undefined });
    const accountId = interaction.result?.login?.accountId;
    // Opened before the authenticator was set up: the sign-in's current step.
    if (!accountId || !interaction.returnTo) {
      ctx.status = 303;
      return ctx.redirect(`/interaction/${uid}`);
    }
    const continueLabel = translatorOf(ctx).t('recovery.continueTo', { clientName: await clientNameOf(provider, interaction.params.client_id, ctx) });
    await renderRecoveryCodesPage(ctx, {
      // HEAD gets no body, so it must not use up the one showing.
      shown: ctx.method === 'GET' ? await secondFactor.recoveryCodesToShow.take(accountId, `interaction:${uid}`) : undefined,
      confirmAction: `/interaction/${uid}/recovery-codes`,
      continueLabel,
      continueUrl: interaction.returnTo,
    });
  };
}

/**
 * POST /interaction/:uid/recovery-codes — "I have saved these codes": on to the app. The page makes
 * the checkbox required; the server does not refuse a form without it, because the codes left the
 * server when the page was shown, and a refusal could not show them again.
 */
export async function continueAfterRecoveryCodes(ctx: Context) {
  const interaction: Interaction = ctx.state.interaction;
  ctx.status = 303;
  ctx.redirect(interaction.result?.login && interaction.returnTo ? interaction.returnTo : `/interaction/${interaction.uid}`);
}
