import type { RequestScopes } from '../store/request-scope.ts';
import { accountEmailKey, accountKey } from '../store/keys.ts';

/**
 * Just before a code or link is redeemed: starts reading what signing in as `email` reads next,
 * so that it travels in the redemption's batch instead of round trips of its own after it: the
 * account, and the store's clock the sign-in's time is taken from (oidc/acr.ts loginProvenNow).
 * The address's account id is usually read already (start-limit-checks.ts); a new address has no
 * account yet, and its sign-in reads the clock once the account is made.
 */
export async function readAheadSignIn(scopes: Pick<RequestScopes, 'prefetch' | 'warm' | 'warmClock'>, email: string): Promise<void> {
  const [accountId] = await scopes.prefetch([accountEmailKey(email)]);
  if (typeof accountId !== 'string') return;
  scopes.warm([accountKey(accountId)]);
  scopes.warmClock(accountKey(accountId));
}
