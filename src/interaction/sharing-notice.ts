import type Provider from 'oidc-provider';
import { CLAIMS_BY_SCOPE } from '../oidc/claims-by-scope.ts';
import { isDeviceSignIn } from './device-sign-in.ts';
import type { Interaction } from './load-interaction.ts';

/** What an app will receive about the person: the consent page's list, and the sign-in pages' notice. */
export interface Sharing {
  /** Requested scopes beyond `openid` (the identifier, which every app gets). */
  scopes: string[];
  /** Claims asked for one by one (the `claims` parameter). */
  claims: string[];
}

// Every app gets these, whatever it asks; they are not something to consent to separately.
const ALWAYS_SHARED = new Set(['sub', 'sid', 'auth_time', 'acr', 'amr', 'iss']);

/**
 * The notice shown beside a sign-in page's button, for an app that is not first-party: pressing
 * the button then also gives consent (oidc/implied-grant.ts), and the separate consent page is
 * not needed. Undefined for a first-party app, whose grant is implied without asking, and for an
 * app registered with `consent_page: true`, which is asked on the consent page after sign-in.
 */
export async function sharingAskedWithSignIn(provider: Provider, interaction: Interaction): Promise<Sharing | undefined> {
  // A device's sign-in (RFC 8628): the person allowed it on the device confirmation page, which
  // showed what the app will receive (device-flow/device-pages.ts), before signing in.
  if (isDeviceSignIn(interaction)) return undefined;
  const client = await provider.Client.find(String(interaction.params.client_id));
  if (!client || client.metadata().first_party === true || client.metadata().consent_page === true) return undefined;
  return sharingOf(interaction.params);
}

/** What an authorization request's parameters (scope, claims) ask for, in the terms the pages list. */
export function sharingOf(params: Record<string, unknown>): Sharing {
  const scope = typeof params.scope === 'string' ? params.scope : '';
  return listedOnce({ scopes: scope.split(' ').filter((s) => s !== '' && s !== 'openid'), claims: requestedClaims(params.claims) });
}

/**
 * The claims a listed scope already releases are not listed again on their own: `profile` and the
 * claim `name` would read "see your name, if your account has one" and "see your name".
 */
export function listedOnce<T extends Sharing>(sharing: T): T {
  const covered = new Set(sharing.scopes.flatMap((scope) => CLAIMS_BY_SCOPE[scope] ?? []));
  return { ...sharing, claims: sharing.claims.filter((claim) => !covered.has(claim)) };
}

/** Claim names of an authorization request's `claims` parameter (oidc-provider validated it at /auth). */
function requestedClaims(parameter: unknown): string[] {
  if (typeof parameter !== 'string') return [];
  try {
    const parsed = JSON.parse(parameter) as { userinfo?: Record<string, unknown>; id_token?: Record<string, unknown> };
    const names = new Set([...Object.keys(parsed.userinfo ?? {}), ...Object.keys(parsed.id_token ?? {})]);
    return [...names].filter((name) => !ALWAYS_SHARED.has(name));
  } catch {
    return [];
  }
}
