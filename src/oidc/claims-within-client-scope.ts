import { errors as oidcErrors, type Configuration } from 'oidc-provider';
import { listed } from './error-explanations.ts';

type ClaimsParameterFeature = NonNullable<NonNullable<Configuration['features']>['claimsParameter']>;
type AssertClaimsParameter = NonNullable<ClaimsParameterFeature['assertClaimsParameter']>;

const isJsonObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * oidc-provider's `features.claimsParameter.assertClaimsParameter`: the claims parameter may ask
 * only for claims of the scopes the app registered. The library refuses a scope outside the app's
 * `scope` (invalid_scope) but releases a claim asked for by name whatever scope it comes with, so
 * an app registered with `"scope": "openid"` to keep it from people's addresses got the address
 * anyway, in the ID token and from userinfo, by sending `claims={"id_token":{"email":null}}`.
 * Refused here like the scope itself, naming what to change. Claims of no scope of Sesame's
 * (names it does not know) are released to nobody, so they pass; an app without a registered
 * `scope` may ask for every scope, and so for every claim.
 *
 * Replaces the library's default, whose one check (each member null or an object) is kept.
 */
export function claimsWithinClientScope(claimsByScope: Readonly<Record<string, readonly string[]>>): AssertClaimsParameter {
  const scopeOfClaim = new Map<string, string>();
  for (const [scope, claims] of Object.entries(claimsByScope)) for (const claim of claims) if (!scopeOfClaim.has(claim)) scopeOfClaim.set(claim, scope);

  return (_ctx, claims, client) => {
    const requested: string[] = [];
    for (const container of ['id_token', 'userinfo'] as const) {
      const members = (claims as Record<string, unknown>)[container];
      if (members === undefined) continue;
      for (const [claim, value] of Object.entries(members as Record<string, unknown>)) {
        if (value !== null && !isJsonObject(value)) throw new oidcErrors.InvalidRequest(`claims.${container} members must be null or objects`);
        requested.push(claim);
      }
    }
    if (client.scope === undefined) return;
    const registered = new Set(client.scope.split(' '));
    const outside = [...new Set(requested)].filter((claim) => {
      const scope = scopeOfClaim.get(claim);
      return scope !== undefined && !registered.has(scope);
    });
    if (outside.length === 0) return;
    const scopes = [...new Set(outside.map((claim) => scopeOfClaim.get(claim)!))];
    // Only names from Sesame's own claims and scopes, and the registered scope: nothing the request
    // wrote goes into error_description (RFC 6749 section 4.1.2.1).
    throw new oidcErrors.InvalidRequest(`claims asks for ${listed(outside)}, which come with scope ${listed(scopes)}, not registered for this app, whose scope is '${client.scope}': ask only for claims of its scope, or add ${listed(scopes)} to the app's scope in the clients file`);
  };
}
