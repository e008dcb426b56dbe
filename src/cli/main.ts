import { userInfo } from 'node:os';
import { pino } from 'pino';
import { createAccounts } from '../accounts/accounts.ts';
import { createEmailChangeCodes } from '../auth/email-change-codes.ts';
import { createSecondFactor } from '../auth/second-factor.ts';
import { usesRedis } from '../config/config-schema.ts';
import { createSignInLockout } from '../auth/sign-in-limits.ts';
import { ConfigError, loadConfig } from '../config/load-config.ts';
import { createSettingsCheck } from '../config/settings-check.ts';
import { createLogger } from '../logger.ts';
import { createAuditLog } from '../observability/audit-log.ts';
import { createKeySetStore, keyRotationPolicy } from '../signing-keys/key-set-store.ts';
import { signingKeysBox } from '../signing-keys/shared-signing-keys.ts';
import { createSecurityNotices } from '../mail/security-notices.ts';
import { collectAccountData } from '../accounts/account-data.ts';
import { createAppsWithAccessList } from '../oidc/apps-with-access.ts';
import { createBrowserSessionList } from '../oidc/browser-sessions.ts';
import { fixedClients } from '../oidc/client-registry.ts';
import { registeredClients } from '../oidc/registered-clients.ts';
import { createStoreWithClient } from '../store/create-store.ts';
import { signingKeySetPointerKey } from '../store/keys.ts';
import { createCliEndAccountSessions } from './cli-end-account-sessions.ts';
import { KEYS_USAGE, runKeysCommand } from './key-commands.ts';
import { lazyMailQueue } from './lazy-mail-queue.ts';
import { unprintableArgument } from './unprintable-argument.ts';
import { runUserCommand, USER_USAGE } from './user-commands.ts';

// `npm run cli -- user add|show|export|list|remove|reset-mfa|sign-out|unlock|change-email …` and `npm run cli -- keys list|init|add|promote|retire`:
// JSON on stdout, one clear line on stderr, and on stderr too an audit line for what was done.
// Exit codes: 0 done, 1 the command failed (no such account...), 2 usage or configuration.
async function main(argv: string[]): Promise<number> {
  const [group, ...args] = argv;
  // Before anything echoes an argument: a line break in one (an address a support script passes
  // on from a request) would make a line of its own on stderr, a forged audit line among the real.
  const unprintable = unprintableArgument(argv);
  if (unprintable) {
    process.stderr.write(`Argument ${unprintable.position} ("${unprintable.escaped}") holds a control or formatting character, which no address, command or key id has. Nothing was run.\n`);
    return 2;
  }
  // Help asked for anywhere (`user --help`, `user show --help`): the usage on stdout, nothing run.
  if (argv.some((arg) => arg === '--help' || arg === '-h')) {
    process.stdout.write(`${group === 'user' ? USER_USAGE : group === 'keys' ? KEYS_USAGE : `${USER_USAGE}\n${KEYS_USAGE}`}\n`);
    return 0;
  }
  if (group !== 'user' && group !== 'keys') {
    process.stderr.write(`${group === undefined ? '' : `Unknown command group "${group}".\n`}${USER_USAGE}\n${KEYS_USAGE}\n`);
    return 2;
  }

  let config;
  const fallbacks: string[] = [];
  try {
    config = loadConfig({ env: process.env, onFallback: (message) => fallbacks.push(message) });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (!usesRedis(config.redis)) {
    process.stderr.write(`REDIS_URL is not set. The CLI manages the ${group === 'keys' ? 'signing keys' : 'accounts'} kept in Redis; without REDIS_URL, Sesame keeps them inside its own process, out of reach.\n`);
    return 2;
  }

  // Said out loud: development secrets against a Redis that servers with their own use are wrong.
  // (The dev outbox is the server's business: the CLI sends no mail.)
  for (const message of fallbacks.filter((line) => !line.startsWith('mail:'))) process.stderr.write(`sesame cli: development fallback: ${message}\n`);

  const { store, redis } = await createStoreWithClient(config, createLogger({ level: 'silent' }), 'sesame:cli');
  const differences = await createSettingsCheck(store, config).differences();
  if (differences.length > 0) {
    await store.close();
    const names = differences.join(' and ');
    process.stderr.write(`${names} ${differences.length > 1 ? 'are' : 'is'} not what the Sesame servers on this Redis use: run the CLI with the servers' settings (npm run cli reads .env, as npm start does). Nothing was changed.\n`);
    return 2;
  }
  // Notices and logout tokens go on the durable queue that every Sesame worker sends from: the CLI
  // sends no mail and calls no app itself.
  const mailQueue = lazyMailQueue(async () => {
    const { createDurableMailQueue, mailQueueLocation } = await import('../mail/durable-mail-queue.ts');
    return createDurableMailQueue({ connection: redis!, ...mailQueueLocation(config), attempts: config.mailQueue.attempts, backoffMs: config.mailQueue.backoffMs, keepFailedAtMost: config.mailQueue.ceiling });
  });
  // stdout is the command's JSON, for scripts: the audit lines go to stderr. Synchronous, so none
  // is lost to the exit. `command` is the two words only: the arguments are addresses.
  const audit = createAuditLog({ logger: createLogger({ level: 'silent', destination: pino.destination({ fd: 2, sync: true }) }), hmacKey: config.hmacKey, enabled: config.auditLog === 'on' })
    .withOrigin({ via: 'cli', command: `${group} ${args[0] ?? ''}`.trim(), ...operator() });
  try {
    const accounts = createAccounts({ store });
    const secondFactor = createSecondFactor({ config, store, accounts });
    const browserSessionList = createBrowserSessionList({ store, hmacKey: config.hmacKey, sessionSeconds: config.ttl.sessionSeconds, clients: fixedClients(registeredClients(config)) });
    // Read only here (a change of address waiting for its code, for `user export`): the CLI issues none.
    const emailChanges = createEmailChangeCodes({ store, hmacKey: config.hmacKey, ttlSeconds: config.accountArea.emailChangeCodeSeconds });
    const appsWithAccessList = createAppsWithAccessList({ store, sessionSeconds: config.ttl.sessionSeconds, grantSeconds: config.ttl.grantSeconds, clients: fixedClients(registeredClients(config)) });
    // A key's times (added, promoted, demoted) and the waits between them are Redis's: `keys add`
    // and the `keys promote` an hour later may run on hosts whose clocks differ, and one ahead
    // would let a key sign before every instance and app has it, or retire one too early.
    const keysNowMs = group === 'keys' ? await store.clockMs(signingKeySetPointerKey()) : 0;
    const result =
      group === 'keys'
        ? await runKeysCommand(args, { keySets: createKeySetStore(store), box: signingKeysBox(config), policy: keyRotationPolicy(config), seedJwks: config.jwks, audit, now: () => keysNowMs })
        : await runUserCommand(args, {
            accounts,
            endAccountSessions: createCliEndAccountSessions({ config, store, accounts, secondFactor, mailQueue }),
            browserSessions: browserSessionList,
            appsWithAccess: appsWithAccessList,
            collectData: (account) => collectAccountData(account, { secondFactor, browserSessions: browserSessionList, appsWithAccess: appsWithAccessList, emailChanges }, { issuer: config.issuer }),
            removeSecondFactor: secondFactor.remove,
            lockouts: { signInCodes: createSignInLockout({ store, config }), secondFactor: secondFactor.lockout },
            notices: createSecurityNotices({ mailQueue }),
            audit,
          });
    if (!result.ok) {
      process.stderr.write(`${result.message}\n`);
      return result.exitCode;
    }
    process.stdout.write(`${JSON.stringify(result.output, null, 2)}\n`);
    return 0;
  } finally {
    await mailQueue.close();
    await store.close();
  }
}

/** Who ran the command, as far as this machine knows: its user (a container's has no name to give). */
function operator(): { operator?: string } {
  try {
    return { operator: userInfo().username };
  } catch {
    return {};
  }
}

main(process.argv.slice(2)).then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    process.stderr.write(`sesame cli: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
