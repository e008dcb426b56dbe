import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

const { Check } = interactionPolicy;

/**
 * A sign-in's redirect_uri and scope are checked against the app's registration as it starts, and
 * oidc-provider does not check them again when the sign-in resumes (resume.js takes the
 * redirect_uri as checked; the scope check runs only at /auth). A reload of the clients file
 * (oidc/reload-clients.ts) may have changed the registration meanwhile, often because the app must
 * no longer get something: a sign-in begun before then ends as one begun after would. A removed
 * redirect_uri ends on the error page (invalid_redirect_uri, which the library never sends to the
 * address itself); a scope no longer registered gets the app invalid_scope, as at /auth. First of
 * the login prompt's checks, so that it runs on every pass through the policy; it never asks for a
 * prompt. `knownScopes`: the provider's scopes (the library checks only those against the
 * registration; others it ignores).
 */
export function requestStillRegistered(knownScopes: readonly string[]): interactionPolicy.Check {
  const known = new Set(knownScopes);
  return new Check('request_still_registered', 'the request is still within the app\'s registration', (ctx: KoaContextWithOIDC) => {
    const { client } = ctx.oidc;
    const params = ctx.oidc.params as { redirect_uri?: unknown; scope?: unknown } | undefined;
    if (!client || !params) return Check.NO_NEED_TO_PROMPT;
    // The device flow has no redirect_uri.
    if (typeof params.redirect_uri === 'string' && !client.redirectUriAllowed(params.redirect_uri)) throw new errors.InvalidRedirectUri();
    if (client.scope && typeof params.scope === 'string') {
      const registered = new Set(client.scope.split(' '));
      const refused = params.scope.split(' ').find((scope) => known.has(scope) && !registered.has(scope));
      if (refused) throw new errors.InvalidScope('requested scope is not allowed', refused);
    }
    return Check.NO_NEED_TO_PROMPT;
  });
}
