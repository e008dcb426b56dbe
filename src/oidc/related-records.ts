import type { AdapterPayload } from 'oidc-provider';
import { accountKey, oidcRecordKey, oidcSessionUidKey } from '../store/keys.ts';

/**
 * The records oidc-provider reads right after it has found `payload`, as Store keys. Reading them
 * at once, in one batch, turns a chain of round trips into one:
 * - an authorization code or token: then its grant, its account, and its session (by uid) when the
 *   token expires with it;
 * - an interaction: its session, the account once its login is done, and its grant.
 * A guess that turns out unneeded costs one pipelined read; a missing one costs what it always did.
 */
export function relatedRecordKeys(model: string, payload: AdapterPayload): string[] {
  const keys: string[] = [];
  const account = (id: unknown) => typeof id === 'string' && id && keys.push(accountKey(id));
  const grant = (id: unknown) => typeof id === 'string' && id && keys.push(oidcRecordKey('Grant', id));
  const session = (uid: unknown) => typeof uid === 'string' && uid && keys.push(oidcSessionUidKey(uid));
  switch (model) {
    case 'AuthorizationCode':
    case 'RefreshToken':
    case 'AccessToken':
      // The library looks the session up only for a token bound to it (lib/models/token_helpers.js):
      // an offline_access refresh token outlives its session, and reading that would be wasted.
      if (payload.expiresWithSession) session(payload.sessionUid);
      grant(payload.grantId);
      account(payload.accountId);
      break;
    case 'Interaction': {
      const interaction = payload as AdapterPayload & { session?: { uid?: string; accountId?: string }; result?: { login?: { accountId?: string }; consent?: { grantId?: string } } };
      session(interaction.session?.uid);
      // Only once the login is done is the account read next (to resume the authorization).
      account(interaction.result?.login?.accountId);
      // The grant just given on the consent page; the session learns of it only when this resumes.
      grant(interaction.result?.consent?.grantId ?? interaction.grantId);
      break;
    }
  }
  return keys;
}

/**
 * What an authorization request reads after the browser's session: its account and the grants of
 * the apps it signed in to. Not for every session lookup (consent pages need neither), only for
 * /auth (oidc/prefetch-session.ts).
 */
export function sessionRelatedKeys(payload: AdapterPayload): string[] {
  const authorizations = (payload as { authorizations?: Record<string, { grantId?: string }> }).authorizations ?? {};
  const keys = typeof payload.accountId === 'string' ? [accountKey(payload.accountId)] : [];
  for (const { grantId } of Object.values(authorizations)) if (grantId) keys.push(oidcRecordKey('Grant', grantId));
  return keys;
}
