import type { Account as OidcAccount, FindAccount } from 'oidc-provider';
import type { Accounts } from '../accounts/accounts.ts';

/** Maps a Sesame account to the claims oidc-provider hands out per granted scope. */
export function createFindAccount(accounts: Accounts): FindAccount {
  return async (_ctx, sub): Promise<OidcAccount | undefined> => {
    const account = await accounts.findById(sub);
    if (!account) return undefined;
    return {
      accountId: account.id,
      async claims() {
        return { sub: account.id, email: account.email, email_verified: account.emailVerifiedAt !== undefined };
      },
    };
  };
}
