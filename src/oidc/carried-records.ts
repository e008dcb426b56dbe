import type { AdapterPayload } from 'oidc-provider';
import type { Account } from '../accounts/accounts.ts';
import type { RequestScopes } from '../store/request-scope.ts';
import { accountKey, oidcRecordKey } from '../store/keys.ts';

/**
 * Records an interaction step carries to the request that resumes the authorization a moment
 * later. That request reads the interaction first anyway; finding the account it was signed in
 * for and the grant just given there saves reading them again (one round trip each time).
 *
 * oidc-provider keeps unknown keys of an interaction result with the interaction and ignores
 * them; a later step's result is merged with the earlier one's (lastSubmission), so the account
 * carried by the login step reaches the resume after consent too. Only resuming uses these
 * copies, taken moments earlier in the same sign-in: the token endpoint reads account and grant
 * anew before it issues anything.
 */
interface Carried {
  signedInAccount?: Account;
  consentedGrant?: { id: string; payload: AdapterPayload };
}

/** Put into a login result next to `login`. */
export function carryAccount(account: Account): Carried {
  return { signedInAccount: account };
}

/** Put into a consent result next to `consent`. */
export function carryGrant(id: string, payload: AdapterPayload | undefined): Carried {
  return payload ? { consentedGrant: { id, payload } } : {};
}

/** Tells the current request the records the interaction carries, when they are the ones it names. */
export function rememberCarriedRecords(scopes: Pick<RequestScopes, 'remember'>, interaction: AdapterPayload | undefined) {
  const result = (interaction as { result?: Carried & { login?: { accountId?: string }; consent?: { grantId?: string } } } | undefined)?.result;
  if (!result) return;
  const account = result.signedInAccount;
  if (account && typeof account.id === 'string' && account.id === result.login?.accountId) scopes.remember(accountKey(account.id), account);
  const grant = result.consentedGrant;
  const grantId = result.consent?.grantId ?? (interaction as { grantId?: string }).grantId;
  if (grant && grant.id === grantId) scopes.remember(oidcRecordKey('Grant', grant.id), grant.payload);
}
