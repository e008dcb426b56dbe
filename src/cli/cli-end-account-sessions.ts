import type { Accounts } from '../accounts/accounts.ts';
import type { SecondFactor } from '../auth/second-factor.ts';
import type { Config } from '../config/config-schema.ts';
import type { MailQueue } from '../mail/mail-queue.ts';
import { createEndAccountSessions, type EndAccountSessions } from '../oidc/end-account-sessions.ts';
import { readSigningKeys } from '../signing-keys/shared-signing-keys.ts';
import { accountSessionsIndex } from '../oidc/account-sessions-index.ts';
import type { Store } from '../store/store.ts';

/**
 * endAccountSessions for the CLI: the same oidc-provider configuration the servers run (clients,
 * signing keys, registered-address fetch), built only when an account with sessions is signed
 * out, so that `user list` and the like never read the keys. The keys are read, never written
 * (readSigningKeys): the CLI must not seed or restore the servers' key set. The logout tokens go
 * on the servers' durable queue, as the CLI's security notices do.
 */
export function createCliEndAccountSessions({ config, store, accounts, secondFactor, mailQueue }: { config: Readonly<Config>; store: Store; accounts: Accounts; secondFactor: SecondFactor; mailQueue: MailQueue }): EndAccountSessions {
  let built: EndAccountSessions | undefined;
  return async (accountId, options) => {
    // An account signed in nowhere needs no provider, nor its keys.
    if (!built && (await accountSessionsIndex(store, { sessionSeconds: config.ttl.sessionSeconds }).read(accountId)).length === 0) return { sessionsEnded: 0, backChannelLogouts: [] };
    if (!built) {
      const jwks = await readSigningKeys({ config, store });
      if (!jwks) throw new Error('cannot sign logout tokens: no signing keys in Redis and JWKS_FILE is not set');
      // Loaded here, not at the top: oidc-provider takes about a second to load, and most commands never need it.
      const [{ CookieKeys }, { createProvider }, { createFindAccount }, { createMfaPrompt }, { createStoreAdapterClass }] = await Promise.all([
        import('../http/cookie-keys.ts'),
        import('../oidc/create-provider.ts'),
        import('../oidc/find-account.ts'),
        import('../oidc/mfa-prompt.ts'),
        import('../oidc/store-adapter.ts'),
      ]);
      const provider = createProvider(
        config,
        {
          adapter: createStoreAdapterClass(store),
          findAccount: createFindAccount(accounts, { clients: () => config.clients }),
          // The CLI renders no page and reads no cookie; the provider only needs them to be built.
          renderPage: async () => {},
          mfaPrompt: createMfaPrompt({ devices: secondFactor.devices }),
          cookieKeys: new CookieKeys(config.cookieKeys),
          // The servers' workers send them, count them and retry them: the CLI only queues.
          backChannelLogouts: mailQueue,
        },
        jwks,
      );
      built = createEndAccountSessions({ store, provider, sessionSeconds: config.ttl.sessionSeconds });
    }
    return built(accountId, options);
  };
}
