import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

const { Check } = interactionPolicy;

/**
 * A sign-in's redirect_uri is checked as it starts, and oidc-provider does not check it again when
 * the sign-in resumes (resume.js takes it as checked). A reload of the clients file
 * (oidc/reload-clients.ts) may have removed it meanwhile, often because it must no longer get
 * codes: a sign-in begun before then ends on the error page (invalid_redirect_uri, which the
 * library never sends to the address itself) instead of delivering its code there. First of the
 * login prompt's checks, so that it runs on every pass through the policy; it never asks for a
 * prompt. The device flow has no redirect_uri.
 */
export const redirectUriStillRegistered = new Check('redirect_uri_still_registered', 'the redirect_uri is still registered', (ctx: KoaContextWithOIDC) => {
  const redirectUri = (ctx.oidc.params as { redirect_uri?: unknown } | undefined)?.redirect_uri;
  if (typeof redirectUri === 'string' && ctx.oidc.client && !ctx.oidc.client.redirectUriAllowed(redirectUri)) throw new errors.InvalidRedirectUri();
  return Check.NO_NEED_TO_PROMPT;
});
