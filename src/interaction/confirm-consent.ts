import type { Context } from 'koa';
import type { AdapterPayload } from 'oidc-provider';
import { carryGrant } from '../oidc/carried-records.ts';
import { oidcRecordKey } from '../store/keys.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';

/** POST /interaction/:uid/consent — records the person's decision as a Grant (or a refusal). */
export function createConfirmConsent({ provider, scopes }: Pick<InteractionDeps, 'provider' | 'scopes'>) {
  return async function confirmConsent(ctx: Context) {
    const interaction: Interaction = ctx.state.interaction;
    const form: Record<string, string> = ctx.state.form;
    if (form.decision !== 'allow') {
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, { error: 'access_denied', error_description: 'The user did not allow access' }, { mergeWithLastSubmission: false });
      ctx.status = 303;
      return ctx.redirect(returnTo);
    }
    const accountId = interaction.session!.accountId;
    const details = interaction.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({ accountId, clientId: interaction.params.client_id as string });
    if (!grant) throw new Error('grant of the interaction is missing');
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    // The grant rides along to the resuming request (oidc/carried-records.ts); the request's own
    // memory has what was just saved, so this reads nothing from the store.
    const [saved] = await scopes.prefetch([oidcRecordKey('Grant', grantId)]);
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, { consent: interaction.grantId ? {} : { grantId }, ...carryGrant(grantId, saved as AdapterPayload | undefined) }, { mergeWithLastSubmission: true });
    ctx.status = 303;
    ctx.redirect(returnTo);
  };
}
