import type { Context } from 'koa';
import { displayText } from '../http/display-text.ts';
import { SCOPES_THAT_SHARE_NOTHING } from '../oidc/implied-grant.ts';
import { MFA_PROMPT } from '../oidc/mfa-request.ts';
import { clientNameOf } from './client-name.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';
import type { Sharing } from './sharing-notice.ts';

/** GET /interaction/:uid — the email form, the waiting page once a mail went out, the step-up prompt, or consent. */
export function createShowPrompt({ provider, signInCodes }: Pick<InteractionDeps, 'provider' | 'signInCodes'>) {
  return async function showPrompt(ctx: Context) {
    const interaction: Interaction = ctx.state.interaction;
    const clientName = await clientNameOf(provider, interaction.params.client_id);
    if (interaction.prompt.name === 'login') {
      if (await signInCodes.pending(interaction.uid)) return ctx.redirect(`/interaction/${interaction.uid}/check`);
      // login_hint comes from the app's URL: plain text, one line, escaped by the template.
      const hint = typeof interaction.params.login_hint === 'string' ? displayText(interaction.params.login_hint, 254) : '';
      return ctx.render('email', { clientName, email: hint, error: undefined });
    }
    // An existing session that needs its second factor (the page sends people without one to set it up).
    if (interaction.prompt.name === MFA_PROMPT) return ctx.redirect(`/interaction/${interaction.uid}/totp`);
    if (interaction.prompt.name === 'consent') {
      const details = interaction.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
      const scopes = (details.missingOIDCScope ?? []).filter((scope) => scope !== 'openid' && !SCOPES_THAT_SHARE_NOTHING.has(scope));
      return ctx.render('consent', { clientName, sharing: { scopes, claims: details.missingOIDCClaims ?? [] } satisfies Sharing });
    }
    // A prompt Sesame does not know means a configuration error, not a user error.
    throw new Error(`unsupported prompt ${interaction.prompt.name}`);
  };
}
