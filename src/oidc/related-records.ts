import type { AdapterPayload } from 'oidc-provider';
import { accountKey, oidcRecordKey, oidcSessionUidKey } from '../store/keys.ts';

/**
 * The records oidc-provider reads right after it has found `payload`, as Store keys. Reading them
 * at once, in one batch, turns a chain of round trips into one:
 * - an authorization code or refresh token: then its session (by uid), its grant and its account;
 * - an interaction: its session, the account once the login is done, and its grant;
 * - a session: its account and the grants of the apps it has signed in to.
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
      session(payload.sessionUid);
      grant(payload.grantId);
      account(payload.accountId);
      break;
    case 'Interaction': {
      const interaction = payload as AdapterPayload & { session?: { uid?: string; accountId?: string }; result?: { login?: { accountId?: string }; consent?: { grantId?: string } } };
      session(interaction.session?.uid);
      account(interaction.result?.login?.accountId ?? interaction.session?.accountId);
      // The grant just given on the consent page; the session learns of it only when this resumes.
      grant(interaction.result?.consent?.grantId ?? interaction.grantId);
      break;
    }
    case 'Session': {
      const authorizations = (payload as { authorizations?: Record<string, { grantId?: string }> }).authorizations ?? {};
      account(payload.accountId);
      for (const { grantId } of Object.values(authorizations)) grant(grantId);
      break;
    }
  }
  return keys;
}
