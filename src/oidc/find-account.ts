import type { Account as OidcAccount, FindAccount } from 'oidc-provider';
import { appTakesAddressByClient } from './app-email-domains.ts';
import { clientTokenCutoffs, issuedBeforeCutoff } from './client-token-cutoff.ts';
import { CLAIMS_BY_SCOPE } from './claims-by-scope.ts';
import { derivedFromClients, fixedClients, type CurrentClients } from './client-registry.ts';
import { releasedWithinClientScope } from './claims-within-client-scope.ts';
import { appAccessRemovedSince, sessionEnded, signedOutSince, type Accounts } from '../accounts/accounts.ts';

/** What findAccount hands oidc-provider: its claims, plus what the step-up policy needs to know. */
export interface SesameOidcAccount extends OidcAccount {
  /**
   * oidc-provider loads the session's account (ctx.oidc.account) before it evaluates the prompts,
   * so the mfa prompt learns from this whether an authenticator is set up without another read.
   */
  totpEnrolled: boolean;
  /** Its `enrolledAt`: a remembered browser skips only the authenticator it was remembered past. */
  totpEnrolledAt: string | undefined;
  /** For the apps registered with allowed_email_domains (oidc/address-outside-app-domains.ts). */
  email: string;
}

/** The time of the sign-in a token stands on: a code's or refresh token's authTime, an access token's auth_time. */
function signInTimeOf(token: object | undefined): number | undefined {
  const { authTime, extra } = (token ?? {}) as { authTime?: unknown; extra?: { auth_time?: unknown } };
  const time = authTime ?? extra?.auth_time;
  return typeof time === 'number' ? time : undefined;
}

/** Maps a Sesame account to the claims oidc-provider hands out per granted scope. */
export function createFindAccount(accounts: Accounts, { clients = fixedClients([]) }: { clients?: CurrentClients } = {}): FindAccount {
  // The apps' rules as registered now: built again after a reload of the clients file, not per call.
  const rules = derivedFromClients(clients, (registered) => ({
    tokenCutoffOf: clientTokenCutoffs(registered),
    appTakesAddress: appTakesAddressByClient(registered),
    withinClientScope: releasedWithinClientScope(CLAIMS_BY_SCOPE, registered),
  }));
  return async (ctx, sub, token): Promise<SesameOidcAccount | undefined> => {
    const { tokenCutoffOf, appTakesAddress, withinClientScope } = rules();
    // When what is being honoured began: a token (a rotated refresh token by its chain's first
    // issue), or the browser's session.
    const began = token ? ((token as { iiat?: number }).iiat ?? token.iat) : ctx.oidc?.session?.loginTs;
    // The app's tokens from before its operator's cutoff (a leaked secret): refused for everyone, before any read.
    if (token && issuedBeforeCutoff(tokenCutoffOf(token.clientId), began)) return undefined;
    const account = await accounts.findById(sub);
    if (!account) return undefined;
    // Signed out everywhere since: the token or session finds no account, so the library refuses
    // the token and asks the browser to sign in again (oidc/session-account-gone.ts). A token is
    // weighed by the sign-in it stands on (a code's or refresh token's authTime, an access token's
    // auth_time: oidc/access-token-sign-in.ts), not by its own issue: the sign-in's time and the
    // stamp are both read from the store's clock, while `iat` is the clock of whichever process
    // issued it, which may run ahead of the one that stamped and spare a token issued just before.
    // Every token issued after the stamp stands on a sign-in after it (the sessions before it
    // end), so this ends nothing that should go on.
    if (signedOutSince(account, signInTimeOf(token) ?? began)) return undefined;
    // The person removed this app's access since it was given (the account page's "Apps with access").
    if (token?.clientId && appAccessRemovedSince(account, token.clientId, began)) return undefined;
    // That browser was signed out from another one: its session, saved again by a request that was
    // in flight then, is not honoured either.
    if (!token && sessionEnded(account, ctx.oidc?.session?.uid, began)) return undefined;
    // The account moved to an address the app does not take (a browser is asked again instead,
    // by the login prompt, so that its session serves the other apps as before).
    if (!appTakesAddress(token?.clientId, account.email)) return undefined;
    return {
      accountId: account.id,
      totpEnrolled: account.totp !== undefined,
      totpEnrolledAt: account.totp?.enrolledAt,
      email: account.email,
      // Held to the scope the app registered: a token or grant saved with more (before the claims
      // parameter was held to it too, or before the operator narrowed it) does not release it.
      async claims() {
        return { sub: account.id, ...withinClientScope(token?.clientId ?? ctx.oidc?.client?.clientId, { email: account.email, email_verified: account.emailVerifiedAt !== undefined, ...(account.name !== undefined ? { name: account.name } : {}) }) };
      },
    };
  };
}
