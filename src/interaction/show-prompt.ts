import type { Context } from 'koa';
import { domainsInWords } from '../accounts/signup-policy.ts';
import { displayText } from '../http/display-text.ts';
import type { MessageKey } from '../i18n/catalogue.ts';
import { translatorOf } from '../i18n/page-language.ts';
import { queryKey } from '../http/outcome-query.ts';
import { ENROLMENT_NEEDS_RECENT_SIGN_IN } from '../oidc/enrolment-needs-recent-sign-in.ts';
import { MFA_PROMPT } from '../oidc/mfa-request.ts';
import { ADDRESS_OUTSIDE_APP_DOMAINS } from '../oidc/address-outside-app-domains.ts';
import { DEVICE_ANOTHER_ACCOUNT } from '../oidc/device-another-account.ts';
import { appDomainsText } from './app-domains.ts';
import { clientNameOf } from './client-name.ts';
import { cancelLabelOf } from './device-sign-in.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';
import { listedOnce, type Sharing } from './sharing-notice.ts';

/** Why the email form is shown again (verify-code.ts redirects here with `?error=`): the code no longer works. */
export const EMAIL_PAGE_ERRORS = ['code-expired', 'code-spent'] as const;
export type EmailPageError = (typeof EMAIL_PAGE_ERRORS)[number];

const EMAIL_PAGE_MESSAGES: Record<EmailPageError, MessageKey> = {
  'code-expired': 'email.error.codeExpired',
  'code-spent': 'email.error.codeSpent',
};

/** GET /interaction/:uid — the email form, the waiting page once a mail went out, the step-up prompt, or consent. */
export function createShowPrompt({ provider, signInCodes, retryAddresses, accounts, config }: Pick<InteractionDeps, 'provider' | 'signInCodes' | 'retryAddresses' | 'accounts' | 'config'>) {
  return async function showPrompt(ctx: Context) {
    const interaction: Interaction = ctx.state.interaction;
    const clientName = await clientNameOf(provider, interaction.params.client_id, ctx);
    const translator = translatorOf(ctx);
    const { t } = translator;
    if (interaction.prompt.name === 'login') {
      if (await signInCodes.pending(interaction.uid)) return ctx.redirect(`/interaction/${interaction.uid}/check`);
      // login_hint comes from the app's URL: plain text, one line, escaped by the template.
      const hint = typeof interaction.params.login_hint === 'string' ? displayText(interaction.params.login_hint, 254) : '';
      const error = queryKey(ctx, 'error', EMAIL_PAGE_ERRORS);
      // Only after a code died: the address it was for, kept by the server (one read, on this path only).
      const retryAddress = error ? await retryAddresses.find(interaction.uid) : undefined;
      const appDomains = await appDomainsText(provider, interaction, translator);
      // Signed in already, with an address this app does not take: say so, rather than ask out of the blue.
      const outsideApp = interaction.prompt.reasons.includes(ADDRESS_OUTSIDE_APP_DOMAINS) && interaction.session?.accountId ? (await accounts.findById(interaction.session.accountId))?.email : undefined;
      // A step-up that would set up an authenticator on an old session: say why the email comes
      // first, and fill in the session's own address (its account page shows it to this browser
      // already), so proving it again is one press. Not when that address is one this app refuses:
      // another address is needed whatever its age, and the sign-in with it is recent anyway.
      // "Allow with another account" at /device: an empty form (never the session's address), which
      // says whose account the device gets and what becomes of the one signed in here.
      const anotherAccount = interaction.prompt.reasons.includes(DEVICE_ANOTHER_ACCOUNT);
      const reconfirming = !outsideApp && !anotherAccount && interaction.prompt.reasons.includes(ENROLMENT_NEEDS_RECENT_SIGN_IN);
      const notice = reconfirming
        ? t('email.notice.reconfirm', { clientName })
        : outsideApp
          ? t('email.notice.outsideApp', { email: outsideApp, clientName, domains: appDomains })
          : anotherAccount
            ? t('email.notice.anotherAccount', { clientName })
            : undefined;
      const sessionAddress = reconfirming && !retryAddress && interaction.session?.accountId ? (await accounts.findById(interaction.session.accountId))?.email : undefined;
      return ctx.render('email', { clientName, cancelLabel: cancelLabelOf(interaction, clientName, translator), email: retryAddress ?? sessionAddress ?? hint, error: error && t(EMAIL_PAGE_MESSAGES[error]), notice, appDomains, appDomainsSaid: outsideApp !== undefined, newAccountDomains: domainsInWords(config.signupDomains, translator) });
    }
    // An existing session that needs its second factor (the page sends people without one to set it up).
    if (interaction.prompt.name === MFA_PROMPT) return ctx.redirect(`/interaction/${interaction.uid}/totp`);
    if (interaction.prompt.name === 'consent') {
      const details = interaction.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
      const scopes = (details.missingOIDCScope ?? []).filter((scope) => scope !== 'openid');
      return ctx.render('consent', { clientName, sharing: listedOnce({ scopes, claims: details.missingOIDCClaims ?? [] } satisfies Sharing) });
    }
    // A prompt Sesame does not know means a configuration error, not a user error.
    throw new Error(`unsupported prompt ${interaction.prompt.name}`);
  };
}
