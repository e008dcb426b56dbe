import { errors as oidcErrors, type Configuration } from 'oidc-provider';
import type { ClientRegistration } from '../config/config-schema.ts';
import { listed } from './error-explanations.ts';

type ClaimsParameterFeature = NonNullable<NonNullable<Configuration['features']>['claimsParameter']>;
type AssertClaimsParameter = NonNullable<ClaimsParameterFeature['assertClaimsParameter']>;

type ClaimsByScope = Readonly<Record<string, readonly string[]>>;

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
export function claimsWithinClientScope(claimsByScope: ClaimsByScope): AssertClaimsParameter {
  const scopeOfClaim = scopeOfEachClaim(claimsByScope);

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
    const registered = client.scope;
    if (registered === undefined) return;
    const outside = [...new Set(requested)].filter((claim) => comesWithScopeOutside(scopeOfClaim, claim, registered));
    if (outside.length === 0) return;
    const scopes = [...new Set(outside.map((claim) => scopeOfClaim.get(claim)!))];
    // Only names from Sesame's own claims and scopes, and the registered scope: nothing the request
    // wrote goes into error_description (RFC 6749 section 4.1.2.1).
    throw new oidcErrors.InvalidRequest(`claims asks for ${listed(outside)}, which come with scope ${listed(scopes)}, not registered for this app, whose scope is '${client.scope}': ask only for claims of its scope, or add ${listed(scopes)} to the app's scope in the clients file`);
  };
}

/**
 * What the account's claims are cut to when they are released (oidc/find-account.ts): only those
 * of the scopes the app registered, whatever its token or grant holds. The claims parameter is
 * refused above; this holds for what was saved before that refusal existed (a refresh token
 * carries its authorization's claims on at every rotation) and for an app whose registered scope
 * was narrowed since. Apps without a registered `scope`, and claims of no scope, are let through.
 */
export function releasedWithinClientScope(claimsByScope: ClaimsByScope, clients: readonly ClientRegistration[]) {
  const scopeOfClaim = scopeOfEachClaim(claimsByScope);
  const registeredScope = new Map(clients.flatMap((client) => (typeof client.scope === 'string' ? [[client.client_id, client.scope] as const] : [])));
  return <T extends Record<string, unknown>>(clientId: string | undefined, claims: T): Partial<T> => {
    const scope = clientId === undefined ? undefined : registeredScope.get(clientId);
    if (scope === undefined) return claims;
    return Object.fromEntries(Object.entries(claims).filter(([claim]) => !comesWithScopeOutside(scopeOfClaim, claim, scope))) as Partial<T>;
  };
}

/** The scope each claim comes with (the first that lists it). */
function scopeOfEachClaim(claimsByScope: ClaimsByScope): Map<string, string> {
  const scopeOfClaim = new Map<string, string>();
  for (const [scope, claims] of Object.entries(claimsByScope)) for (const claim of claims) if (!scopeOfClaim.has(claim)) scopeOfClaim.set(claim, scope);
  return scopeOfClaim;
}

/** Whether `claim` comes with a scope that `registeredScope` (space-separated) leaves out. */
function comesWithScopeOutside(scopeOfClaim: ReadonlyMap<string, string>, claim: string, registeredScope: string): boolean {
  const scope = scopeOfClaim.get(claim);
  return scope !== undefined && !registeredScope.split(' ').includes(scope);
}
