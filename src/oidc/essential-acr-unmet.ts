import { errors as oidcErrors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

const { Check } = interactionPolicy;

/**
 * A check Sesame adds to the login prompt, before the library's own `essential_acr` and
 * `essential_acrs`: a login handed over in this very authorization that still lacks the acr the
 * app asked for as essential (one Sesame does not have, or `urn:sesame:acr:email` from a person
 * whose sign-in asks for the authenticator) ends the authorization with
 * `unmet_authentication_requirements`. The library's checks would ask for a sign-in again, which
 * ends with the same acr: the person proved their email over and over and the app never heard
 * back. OpenID Connect Core §5.5.1.1: an essential acr that cannot be met is a failed authentication.
 */
export const essentialAcrUnmet = new Check('essential_acr_unmet', 'requested ACR could not be obtained', 'unmet_authentication_requirements', (ctx: KoaContextWithOIDC) => {
  const { oidc } = ctx;
  if (!oidc.result?.login) return Check.NO_NEED_TO_PROMPT;
  const request = (oidc.claims as { id_token?: { acr?: { essential?: unknown; value?: unknown; values?: unknown } } } | undefined)?.id_token?.acr;
  if (request?.essential !== true) return Check.NO_NEED_TO_PROMPT;
  const wanted = typeof request.value === 'string' ? [request.value] : Array.isArray(request.values) ? request.values : undefined;
  // Malformed requests are the library's checks' to refuse.
  if (wanted === undefined || wanted.includes(oidc.acr)) return Check.NO_NEED_TO_PROMPT;
  throw new oidcErrors.UnmetAuthenticationRequirements('the sign-in did not give the acr the request names as essential');
});
