import type { AdapterPayload } from 'oidc-provider';
import type { Account } from '../accounts/accounts.ts';
import type { RequestScopes } from '../store/request-scope.ts';
import { accountKey } from '../store/keys.ts';

/** The key of the interaction result that carries the account a login was finished for. */
const SIGNED_IN_ACCOUNT = 'signedInAccount';

/**
 * Put into an interaction's result next to `login`. oidc-provider keeps unknown result keys with
 * the interaction and ignores them; the request that resumes the authorization a moment later
 * reads the interaction anyway, and finds the account there instead of reading it again.
 */
export function signedInAccount(account: Account): Record<string, Account> {
  return { [SIGNED_IN_ACCOUNT]: account };
}

/**
 * When the interaction carries the account its login was finished for, the request knows that
 * record (store/request-scope.ts remember). Only for that very account: a copy taken moments ago
 * in the same sign-in. Tokens are never issued on it: the token endpoint reads the account anew.
 */
export function rememberSignedInAccount(scopes: Pick<RequestScopes, 'remember'>, interaction: AdapterPayload | undefined) {
  const result = (interaction as { result?: { login?: { accountId?: string }; [SIGNED_IN_ACCOUNT]?: Account } } | undefined)?.result;
  const account = result?.[SIGNED_IN_ACCOUNT];
  if (account && typeof account.id === 'string' && account.id === result?.login?.accountId) scopes.remember(accountKey(account.id), account);
}
