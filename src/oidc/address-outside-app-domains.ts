import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { addressAllowedForApp } from './app-email-domains.ts';
import type { SesameOidcAccount } from './find-account.ts';
import { loginCheck } from './login-check.ts';

const { Check } = interactionPolicy;

/** The reason the email page reads to say why it asks again (interaction/show-prompt.ts). */
export const ADDRESS_OUTSIDE_APP_DOMAINS = 'address_outside_app_domains';

/**
 * The login prompt's answer to a browser already signed in with an address this app does not
 * take: the person is asked for an address again (the email page says why), instead of the app
 * receiving an account it was registered to refuse. The account was loaded already: no read.
 */
export const addressOutsideAppDomains = loginCheck(ADDRESS_OUTSIDE_APP_DOMAINS, (ctx: KoaContextWithOIDC) => {
  const account = ctx.oidc.account as SesameOidcAccount | undefined;
  if (!account || !ctx.oidc.client) return Check.NO_NEED_TO_PROMPT;
  return addressAllowedForApp(ctx.oidc.client.metadata(), account.email) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
});
