import type { Configuration } from 'oidc-provider';

type ExtraTokenClaims = NonNullable<Configuration['extraTokenClaims']>;

/**
 * An access token carries the time of the sign-in it stands on (`auth_time`, as RFC 9068 names it;
 * introspection shows it), taken from the code, refresh token or device code it was issued for.
 *
 * A sign-out everywhere ends what began before it (oidc/find-account.ts). The library gives an
 * access token no other record of its sign-in, and its `iat` is read from the clock of whichever
 * process issued it: one whose clock runs seconds ahead of the process that took the sign-out's
 * stamp would issue, just before it, a token that looks issued after it, and lives out its lifetime.
 * The sign-in time is read from the store's clock, as the stamp is (accounts/accounts.ts).
 */
export const carrySignInTime: ExtraTokenClaims = async (ctx, token) => {
  if (token.kind !== 'AccessToken') return undefined;
  const entities = ctx.oidc.entities as { AuthorizationCode?: { authTime?: number }; RefreshToken?: { authTime?: number }; DeviceCode?: { authTime?: number } };
  const authTime = entities.AuthorizationCode?.authTime ?? entities.RefreshToken?.authTime ?? entities.DeviceCode?.authTime;
  return typeof authTime === 'number' ? { auth_time: authTime } : undefined;
};
