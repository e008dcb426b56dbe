import { ACR_MFA } from './acr.ts';

/** `prompt=mfa`: a fresh authenticator check on the existing session, without a new email. */
export const MFA_PROMPT = 'mfa';

/**
 * Whether the app itself asked for multi-factor in its authorization request: `acr_values` naming
 * the MFA acr (also filled in from a client's `default_acr_values`), an `acr` claim request for it,
 * or `prompt=mfa`. Works on oidc-provider's params and on an interaction's stored params alike.
 */
export function appRequestsMfa(params: Record<string, unknown>): boolean {
  const words = (value: unknown) => (typeof value === 'string' ? value.split(' ') : []);
  if (words(params.acr_values).includes(ACR_MFA)) return true;
  if (words(params.prompt).includes(MFA_PROMPT)) return true;
  return acrClaimNamesMfa(params.claims);
}

function acrClaimNamesMfa(claims: unknown): boolean {
  if (typeof claims !== 'string') return false;
  let request: unknown;
  try {
    request = JSON.parse(claims);
  } catch {
    // oidc-provider has already refused malformed claims; nothing is requested here.
    return false;
  }
  const acr = (request as { id_token?: { acr?: { value?: unknown; values?: unknown } } } | null)?.id_token?.acr;
  if (!acr || typeof acr !== 'object') return false;
  return acr.value === ACR_MFA || (Array.isArray(acr.values) && acr.values.includes(ACR_MFA));
}
