import type { Account, Accounts } from '../accounts/accounts.ts';
import { parseEmailAddress } from '../auth/email-address.ts';
import type { RemoveSecondFactor } from '../auth/second-factor-removal.ts';
import type { Lockout } from '../auth/lockout.ts';
import type { SecurityNotices } from '../mail/security-notices.ts';

/** Who made a change, as the account holder's notice names it. */
export const ADMINISTRATOR_DEVICE = 'your administrator, from the command line';

/** What a command produced: JSON for stdout on success, a one-line message for stderr on failure. */
export type CommandResult = { ok: true; output: unknown } | { ok: false; exitCode: 1 | 2; message: string };

export const USER_USAGE = `Usage: npm run cli -- user <command>
  user add EMAIL      create an account (its email is marked verified on first sign-in)
  user show EMAIL     print one account
  user list           print every account
  user remove EMAIL   delete an account; it can no longer sign in or be found by its tokens
  user reset-mfa EMAIL  remove the authenticator app, recovery codes and remembered browsers
                      (for a person who lost their phone and codes), and sign out everywhere;
                      they sign in with email again
  user sign-out EMAIL end every session and token of the account (every browser, every app)
  user unlock EMAIL   lift the locks after too many wrong codes (email codes and authenticator codes)`;

const usage = (message: string): CommandResult => ({ ok: false, exitCode: 2, message: `${message}\n${USER_USAGE}` });
const failure = (message: string): CommandResult => ({ ok: false, exitCode: 1, message });

/** The account commands, free of process and I/O concerns so tests can drive them directly too. */
export async function runUserCommand(
  args: readonly string[],
  { accounts, removeSecondFactor, lockouts, notices }: { accounts: Accounts; removeSecondFactor: RemoveSecondFactor; lockouts: { signInCodes: Lockout; secondFactor: Lockout }; notices: Pick<SecurityNotices, 'notify'> },
): Promise<CommandResult> {
  const [command, ...rest] = args;
  if (command === 'list') {
    if (rest.length > 0) return usage('user list takes no arguments.');
    return { ok: true, output: (await accounts.list()).map(describe) };
  }
  if (command !== 'add' && command !== 'show' && command !== 'remove' && command !== 'reset-mfa' && command !== 'sign-out' && command !== 'unlock') {
    return usage(command === undefined ? 'Missing command.' : `Unknown command "user ${command}".`);
  }
  if (rest.length !== 1) return usage(`user ${command} takes exactly one EMAIL.`);
  const parsed = parseEmailAddress(rest[0]);
  if (!parsed.ok) return failure(`"${rest[0]}" is not a usable email address: ${parsed.problem}`);
  const { email } = parsed;

  switch (command) {
    case 'add': {
      const { account, created } = await accounts.create(email, { verified: false });
      return created ? { ok: true, output: describe(account) } : failure(`An account for ${email} already exists (id ${account.id}).`);
    }
    case 'show': {
      const account = await accounts.findByEmail(email);
      return account ? { ok: true, output: describe(account) } : failure(`No account for ${email}.`);
    }
    case 'remove': {
      const account = await accounts.findByEmail(email);
      if (!account) return failure(`No account for ${email}.`);
      // Its recovery codes and remembered browsers go too, rather than linger unreachable.
      await removeSecondFactor(account.id);
      await accounts.remove(email);
      return { ok: true, output: { removed: describe(account) } };
    }
    case 'reset-mfa': {
      const account = await accounts.findByEmail(email);
      if (!account) return failure(`No account for ${email}.`);
      const { hadTotp, forgottenDevices } = await removeSecondFactor(account.id);
      // A lost phone may still hold signed-in browsers and apps: they end too.
      await accounts.signOutEverywhere(account.id);
      // The holder hears of it, as of every change to how the account is protected: a request made
      // to the administrator in someone else's name would otherwise go unnoticed.
      if (hadTotp || forgottenDevices > 0) await notices.notify(account, 'second-factor-reset', ADMINISTRATOR_DEVICE);
      return { ok: true, output: { reset: describe((await accounts.findById(account.id)) ?? account), removedAuthenticator: hadTotp, forgottenBrowsers: forgottenDevices } };
    }
    case 'sign-out': {
      const account = await accounts.findByEmail(email);
      if (!account) return failure(`No account for ${email}.`);
      const signedOut = await accounts.signOutEverywhere(account.id);
      return { ok: true, output: { signedOut: describe(signedOut ?? account), at: new Date(signedOut?.signedOutAt ?? Date.now()).toISOString() } };
    }
    case 'unlock': {
      // The lock belongs to the address, not to an account: it works (and answers) the same
      // for an address that has none, as the sign-in page does.
      const [signInCodes, secondFactor] = await Promise.all([lockouts.signInCodes.isLocked(email), lockouts.secondFactor.isLocked(email)]);
      // unlock() clears every streak of the address (auth/lockout.ts), the authenticator's too.
      await lockouts.signInCodes.unlock(email);
      return { ok: true, output: { email, unlocked: true, wasLocked: { signInCodes, secondFactor } } };
    }
  }
}

function describe(account: Account) {
  return {
    id: account.id,
    email: account.email,
    createdAt: account.createdAt,
    emailVerified: account.emailVerifiedAt !== undefined,
    ...(account.emailVerifiedAt ? { emailVerifiedAt: account.emailVerifiedAt } : {}),
    authenticatorApp: account.totp !== undefined,
    ...(account.totp ? { authenticatorAppSince: account.totp.enrolledAt } : {}),
  };
}
