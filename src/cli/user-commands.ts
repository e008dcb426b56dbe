import type { Account, Accounts } from '../accounts/accounts.ts';
import { parseEmailAddress } from '../auth/email-address.ts';
import type { RemoveSecondFactor } from '../auth/second-factor-removal.ts';
import type { Lockout } from '../auth/lockout.ts';
import type { HeldMail } from '../mail/mail-queue.ts';
import type { SecurityNotices } from '../mail/security-notices.ts';
import type { AuditLog } from '../observability/audit-log.ts';
import type { AppsWithAccessList } from '../oidc/apps-with-access.ts';
import type { BrowserSessionList } from '../oidc/browser-sessions.ts';
import type { BackChannelNotice, EndAccountSessions } from '../oidc/end-account-sessions.ts';

/** Who made a change, as the account holder's notice names it. */
import { ADMINISTRATOR_DEVICE } from '../mail/security-notice-job.ts';

export { ADMINISTRATOR_DEVICE };

/** What a command produced: JSON for stdout on success, a one-line message for stderr on failure. */
export type CommandResult = { ok: true; output: unknown } | { ok: false; exitCode: 1 | 2; message: string };

export const USER_USAGE = `Usage: npm run cli -- user <command>
  user add EMAIL      create an account (its email is marked verified on first sign-in)
  user show EMAIL     print one account, and the browsers signed in to it (when, how, which apps)
  user export EMAIL   print everything kept about the account, as its owner's "Download your data"
                      gives it (for a request to see one's data from someone who cannot sign in)
  user list           print every account
  user remove EMAIL   delete an account; it can no longer sign in or be found by its tokens,
                      its browser sessions end and their apps are told (back-channel logout),
                      and its address gets a notice (once it has signed in)
  user reset-mfa EMAIL  remove the authenticator app, recovery codes and remembered browsers
                      (for a person who lost their phone and codes), and sign out everywhere;
                      they sign in with email again
  user sign-out EMAIL end every session and token of the account (every browser, every app);
                      apps with a backchannel_logout_uri get a logout token, and the
                      account's address a notice (once it has signed in)
                      (queued: the servers' mail workers send them)
  user unlock EMAIL   lift the locks after too many wrong codes (email codes and authenticator codes)
  user change-email EMAIL NEW_EMAIL
                      move the account to another address (the same id, so apps keep their data),
                      for a person who can no longer read the old mailbox; signs out everywhere
                      and tells both addresses`;

const usage = (message: string): CommandResult => ({ ok: false, exitCode: 2, message: `${message}\n${USER_USAGE}` });
const failure = (message: string): CommandResult => ({ ok: false, exitCode: 1, message });

/** The account commands, free of process and I/O concerns so tests can drive them directly too. */
export async function runUserCommand(
  args: readonly string[],
  {
    accounts,
    endAccountSessions,
    browserSessions,
    appsWithAccess,
    collectData,
    removeSecondFactor,
    lockouts,
    notices,
    audit,
  }: {
    accounts: Accounts;
    endAccountSessions: EndAccountSessions;
    browserSessions: Pick<BrowserSessionList, 'list'>;
    appsWithAccess: Pick<AppsWithAccessList, 'list'>;
    /** Everything kept about the account (accounts/account-data.ts). */
    collectData: (account: Account) => Promise<unknown>;
    removeSecondFactor: RemoveSecondFactor;
    lockouts: { signInCodes: Lockout; secondFactor: Lockout };
    notices: Pick<SecurityNotices, 'hold'>;
    /** Records what each command did or read, as it is done (a failure after it does not undo the record). */
    audit: Pick<AuditLog, 'record'>;
  },
): Promise<CommandResult> {
  /**
   * Ends the account's browser sessions and queues their apps' logout tokens for the servers' mail
   * workers, so the operator reads in the output which tokens were queued (the workers send them).
   */
  async function endSessions(accountId: string, done: string): Promise<{ ok: true; output: { sessionsEnded: number; backChannelLogouts: BackChannelNotice[] } } | (CommandResult & { ok: false })> {
    try {
      const { sessionsEnded, backChannelLogouts } = await endAccountSessions(accountId);
      return { ok: true, output: { sessionsEnded, backChannelLogouts } };
    } catch (error) {
      // What is done stays done (and the account's stamp already refuses its sessions and tokens):
      // the operator learns what is missing, and running the command again retries it.
      return { ok: false, exitCode: 1, message: `${done}, but its browser sessions were not ended and no app was told: ${(error as Error).message}` };
    }
  }

  /**
   * Holds a notice to the account's address of what the administrator is about to do (released or
   * cancelled by the caller: mail/security-notices.ts). None for an account whose address was never
   * proven (added with `user add`, never signed in with): nobody has used that mailbox for it,
   * and a mistyped address would tell a stranger.
   */
  async function holdNoticeForHolder(account: Account, event: 'account-deleted-by-administrator' | 'signed-out-everywhere-by-administrator'): Promise<HeldMail | undefined> {
    if (!account.emailVerifiedAt) return undefined;
    return notices.hold(account, event, ADMINISTRATOR_DEVICE);
  }

  const [command, ...rest] = args;
  if (command === 'list') {
    if (rest.length > 0) return usage('user list takes no arguments.');
    const listed = await accounts.list();
    audit.record({ event: 'accounts.listed', count: listed.length });
    return { ok: true, output: listed.map(describe) };
  }
  if (command === 'change-email') return changeEmail(rest);
  if (command !== 'add' && command !== 'show' && command !== 'export' && command !== 'remove' && command !== 'reset-mfa' && command !== 'sign-out' && command !== 'unlock') {
    return usage(command === undefined ? 'Missing command.' : `Unknown command "user ${command}".`);
  }
  if (rest.length !== 1) return usage(`user ${command} takes exactly one EMAIL.`);
  const parsed = parseEmailAddress(rest[0]);
  if (!parsed.ok) return failure(`"${rest[0]}" is not a usable email address: ${parsed.problem}`);
  const { email } = parsed;

  /**
   * `user change-email EMAIL NEW_EMAIL`: what the account page's change of address does, for an
   * owner who cannot use it (the old mailbox is gone, so they cannot sign in to ask): the same
   * move (accounts.changeEmail: the id, and so every app's `sub`, stays), the same sign-out
   * everywhere, and both addresses are told, in words that say the administrator did it.
   */
  async function changeEmail(args: readonly string[]): Promise<CommandResult> {
    if (args.length !== 2) return usage('user change-email takes EMAIL and NEW_EMAIL.');
    const addresses: string[] = [];
    for (const arg of args) {
      const parsed = parseEmailAddress(arg);
      if (!parsed.ok) return failure(`"${arg}" is not a usable email address: ${parsed.problem}`);
      addresses.push(parsed.email);
    }
    const [old, next] = addresses as [string, string];
    if (old === next) return failure(`${old} is already the account's address.`);
    const account = await accounts.findByEmail(old);
    if (!account) return failure(`No account for ${old}.`);
    // Held before the move, released after it (mail/security-notices.ts): a move is never made untold.
    // Both in the account's language: the new mailbox is the same person's.
    const held = await Promise.all([
      notices.hold({ email: old, locale: account.locale }, 'email-changed-by-administrator', ADMINISTRATOR_DEVICE, { otherAddress: next }),
      notices.hold({ email: next, locale: account.locale }, 'email-now-sign-in-address-by-administrator', ADMINISTRATOR_DEVICE, { otherAddress: old }),
    ]);
    const moved = await accounts.changeEmail(account.id, old, next, { proven: false });
    await Promise.all(held.map((notice) => (moved.ok ? notice.release() : notice.cancel())));
    if (!moved.ok) return failure(moved.reason === 'taken' ? `${next} already has an account of its own; nothing was changed.` : `The account of ${old} changed while it was being moved; nothing was changed. Run the command again.`);
    audit.record({ event: 'email.changed', accountId: account.id });
    // Whoever held the old mailbox may still be signed in with it: everything signed in ends.
    await accounts.signOutEverywhere(account.id);
    const ended = await endSessions(account.id, `The account was moved from ${old} to ${next}`);
    if (!ended.ok) return ended;
    return { ok: true, output: { moved: describe((await accounts.findById(account.id)) ?? moved.account), from: old, ...ended.output } };
  }

  switch (command) {
    case 'add': {
      const { account, created } = await accounts.create(email, { verified: false });
      if (created) audit.record({ event: 'account.created', accountId: account.id });
      return created ? { ok: true, output: describe(account) } : failure(`An account for ${email} already exists (id ${account.id}).`);
    }
    case 'show': {
      const account = await accounts.findByEmail(email);
      if (!account) return failure(`No account for ${email}.`);
      audit.record({ event: 'account.viewed', accountId: account.id });
      // Where it is signed in, as its owner sees it on /account: for "was that me?" questions.
      const signedIn = (await browserSessions.list(account)).map((browser) => ({
        browser: browser.device ?? 'unknown',
        signedInAt: browser.signedInAt.toISOString(),
        amr: browser.amr,
        apps: browser.apps,
      }));
      // The apps that can act for it now, and whether on their own (a refresh token).
      const apps = (await appsWithAccess.list(account)).map((app) => ({ clientId: app.clientId, scope: ['openid', ...app.scopes].join(' '), browsers: app.browsers, offline: app.offline, since: app.since.toISOString() }));
      return { ok: true, output: { ...describe(account), signedIn, apps } };
    }
    case 'export': {
      const account = await accounts.findByEmail(email);
      if (!account) return failure(`No account for ${email}.`);
      audit.record({ event: 'account.exported', accountId: account.id });
      return { ok: true, output: await collectData(account) };
    }
    case 'remove': {
      const account = await accounts.findByEmail(email);
      if (!account) return failure(`No account for ${email}.`);
      // The holder hears of it, as of a deletion on the account page, in words that say who did it.
      // Held before the change; withdrawn where another deletion claimed the record first (that
      // one tells the holder itself).
      const notice = await holdNoticeForHolder(account, 'account-deleted-by-administrator');
      // Claimed first, atomically: a deletion on the account page at the same moment gets no
      // record, and only one of the two tells the audit log (accounts.removeAccount).
      if (!(await accounts.removeAccount(account))) {
        await notice?.cancel();
        return failure(`No account for ${email}.`);
      }
      // Its recovery codes and remembered browsers go too, rather than linger unreachable.
      await removeSecondFactor(account.id);
      await notice?.release();
      audit.record({ event: 'account.deleted', accountId: account.id });
      const ended = await endSessions(account.id, `The account of ${email} was removed`);
      return ended.ok ? { ok: true, output: { removed: describe(account), ...ended.output } } : ended;
    }
    case 'reset-mfa': {
      const account = await accounts.findByEmail(email);
      if (!account) return failure(`No account for ${email}.`);
      // The holder hears of it, as of every change to how the account is protected: a request made
      // to the administrator in someone else's name would otherwise go unnoticed. Held before the
      // change (mail/security-notices.ts), and cancelled where there was nothing to remove.
      const notice = await notices.hold(account, 'second-factor-reset', ADMINISTRATOR_DEVICE);
      const { hadTotp, forgottenDevices } = await removeSecondFactor(account.id);
      await (hadTotp || forgottenDevices > 0 ? notice.release() : notice.cancel());
      // A lost phone may still hold signed-in browsers and apps: they end too.
      await accounts.signOutEverywhere(account.id);
      audit.record({ event: 'second_factor.reset', accountId: account.id, removedAuthenticator: hadTotp, forgottenBrowsers: forgottenDevices });
      const ended = await endSessions(account.id, `The second factor of ${email} was reset and every token and session refused`);
      if (!ended.ok) return ended;
      return { ok: true, output: { reset: describe((await accounts.findById(account.id)) ?? account), removedAuthenticator: hadTotp, forgottenBrowsers: forgottenDevices, ...ended.output } };
    }
    case 'sign-out': {
      const account = await accounts.findByEmail(email);
      if (!account) return failure(`No account for ${email}.`);
      // Told, like every other change an administrator makes to an account: a sign-out asked for
      // in the holder's name (or a lost device's) does not go unnoticed.
      const notice = await holdNoticeForHolder(account, 'signed-out-everywhere-by-administrator');
      const signedOut = await accounts.signOutEverywhere(account.id);
      await (signedOut ? notice?.release() : notice?.cancel());
      audit.record({ event: 'account.signed_out_everywhere', accountId: account.id });
      const ended = await endSessions(account.id, `Every token and session of ${email} is refused from now on`);
      if (!ended.ok) return ended;
      return { ok: true, output: { signedOut: describe(signedOut ?? account), at: new Date(signedOut?.signedOutAt ?? Date.now()).toISOString(), ...ended.output } };
    }
    case 'unlock': {
      // The lock belongs to the address, not to an account: it works (and answers) the same
      // for an address that has none, as the sign-in page does.
      const [signInCodes, secondFactor] = await Promise.all([lockouts.signInCodes.isLocked(email), lockouts.secondFactor.isLocked(email)]);
      // unlock() clears every streak of the address (auth/lockout.ts), the authenticator's too.
      await lockouts.signInCodes.unlock(email);
      audit.record({ event: 'lockout.lifted', address: email, wasLocked: { signInCodes, secondFactor } });
      return { ok: true, output: { email, unlocked: true, wasLocked: { signInCodes, secondFactor } } };
    }
  }
}

function describe(account: Account) {
  return {
    id: account.id,
    email: account.email,
    ...(account.name !== undefined ? { name: account.name } : {}),
    createdAt: account.createdAt,
    emailVerified: account.emailVerifiedAt !== undefined,
    ...(account.emailVerifiedAt ? { emailVerifiedAt: account.emailVerifiedAt } : {}),
    authenticatorApp: account.totp !== undefined,
    ...(account.totp ? { authenticatorAppSince: account.totp.enrolledAt } : {}),
  };
}
