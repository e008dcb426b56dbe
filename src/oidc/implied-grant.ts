import type { KoaContextWithOIDC } from 'oidc-provider';

type Grant = InstanceType<KoaContextWithOIDC['oidc']['provider']['Grant']>;

/**
 * The interaction result member of a sign-in step whose page asked for consent as well: it showed
 * what the app will receive beside its button ("Signing in shares with the app: …", as Google's
 * "To continue, Google will share…"), so pressing it both proved the email and allowed that.
 * oidc-provider keeps unknown result members and only reads `consent.grantId`; the grant is made
 * when the authorization resumes (loadExistingGrant below), where the library knows exactly what
 * was requested.
 */
export function consentGivenWithSignIn() {
  return { consent: { givenWithSignIn: true } };
}

/**
 * oidc-provider's `loadExistingGrant`: the grant this authorization continues with. As the
 * library's own: the grant the consent step just gave, else the one the browser's session holds for
 * the app. A first-party app (it belongs to the operator) and an app whose consent was given on the
 * sign-in page or a device's confirmation page (unless it is registered with `consent_page: true`)
 * get the requested scopes and claims added to it (a new grant when there is none), so no consent
 * page follows.
 */
export async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const result = oidc.result as { consent?: { grantId?: string; givenWithSignIn?: boolean } } | undefined;
  const grantId = result?.consent?.grantId || oidc.session!.grantIdFor(oidc.client!.clientId);
  const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  const metadata = oidc.client!.metadata();
  // A device's sign-in (RFC 8628) got here only through its confirmation page (code_verification
  // with confirm, or the resume after the sign-in it started), which listed what the app will
  // receive beside its Allow button (device-flow/device-pages.ts).
  const allowedOnDevicePage = oidc.route === 'code_verification' || oidc.route === 'device_resume';
  // An app registered with consent_page: true is never consented to beside a sign-in button.
  const implied = metadata.first_party === true || ((result?.consent?.givenWithSignIn === true || allowedOnDevicePage) && metadata.consent_page !== true);
  if (!implied || !oidc.session?.accountId) return existing;

  const grant = existing ?? new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session.accountId });
  const scopes = oidc.requestParamScopes ? [...oidc.requestParamScopes] : ['openid'];
  const claims = oidc.requestParamClaims ? [...oidc.requestParamClaims] : [];
  const grantedScopes = new Set(grant.getOIDCScopeEncountered().split(' '));
  const grantedClaims = new Set(grant.getOIDCClaimsEncountered());
  // An existing grant that already covers the request is not written again.
  if (existing && scopes.every((scope) => grantedScopes.has(scope)) && claims.every((claim) => grantedClaims.has(claim))) return existing;
  grant.addOIDCScope(scopes.join(' '));
  if (claims.length > 0) grant.addOIDCClaims(claims);
  await grant.save();
  return grant;
}
