import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { addressAllowedForApp } from './app-email-domains.ts';
import type { SesameOidcAccount } from './find-account.ts';

const { Check } = interactionPolicy;

/** The reason the email page reads to say why it asks again (interaction/show-prompt.ts). */
export const ADDRESS_OUTSIDE_APP_DOMAINS = 'address_outside_app_domains';

/**
 * What an app's silent sign-in (prompt=none) is told: the error and description oidc-provider
 * gives a browser not signed in at all (its `no_session` check), so the app learns only that the
 * person must sign in, not that the browser holds an account, nor anything of its address.
 */
const SILENT_SIGN_IN_ERROR = 'login_required';
const SILENT_SIGN_IN_DESCRIPTION = 'End-User authentication is required';

/**
 * The login prompt's answer to a browser already signed in with an address this app does not
 * take: the person is asked for an address again (the email page says why), instead of the app
 * receiving an account it was registered to refuse. The account was loaded already: no read.
 * (A check added to the login prompt after it was made gets no error of its own: named here.)
 */
export const addressOutsideAppDomains = new Check(ADDRESS_OUTSIDE_APP_DOMAINS, SILENT_SIGN_IN_DESCRIPTION, SILENT_SIGN_IN_ERROR, (ctx: KoaContextWithOIDC) => {
  const account = ctx.oidc.account as SesameOidcAccount | undefined;
  if (!account || !ctx.oidc.client) return Check.NO_NEED_TO_PROMPT;
  return addressAllowedForApp(ctx.oidc.client.metadata(), account.email) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
});
