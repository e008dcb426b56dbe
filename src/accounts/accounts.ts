import { randomUUID } from 'node:crypto';
import { DEFAULT_LOCALE, type Locale } from '../i18n/locales.ts';
import type { Store } from '../store/store.ts';
import { accountEmailKey, accountKey, accountListKey, emailChangeLockKey } from '../store/keys.ts';

// Longer than any move of an address takes (a few round trips), short enough that a process dying mid-move holds nothing long.
const EMAIL_CHANGE_LOCK_SECONDS = 30;

export interface Account {
  id: string;
  email: string;
  createdAt: string;
  /** When the address was last proven by a link or code; undefined for accounts an admin added. */
  emailVerifiedAt?: string;
  /**
   * The language the person last used Sesame in (a sign-in, an account page's form), for the mail
   * no page precedes: notices of what an administrator did. Absent in accounts from before it, and
   * until one is used other than English: English.
   */
  locale?: Locale;
  /** The name the person gave on the account page (accounts/display-name.ts): the `name` claim of the profile scope. */
  name?: string;
  /**
   * The authenticator app, once confirmed. It lives on the account record because every sign-in
   * reads that record anyway: knowing whether a second factor is due costs no extra read.
   */
  totp?: TotpEnrolment;
  /**
   * Epoch milliseconds of the last "sign out everywhere" (`user sign-out`, `user reset-mfa`, a change of address):
   * sessions signed in before it, and tokens of such sign-ins, are no longer honoured (oidc/find-account.ts).
   * By the store's clock, as the sign-ins' times are (createAccounts' clockOf).
   */
  signedOutAt?: number;
  /**
   * Browser sessions signed out from another browser ("Where you are signed in"), by uid, with
   * when (epoch milliseconds), for as long as such a session could live. A request of that browser
   * in flight at that moment saves its session again when it ends; this keeps such a session from
   * being honoured (oidc/find-account.ts), as signedOutAt does for every session of the account.
   */
  endedSessions?: Record<string, number>;
  /**
   * Apps whose access the person removed on the account page ("Apps with access"), by client id,
   * with when (epoch milliseconds), for as long as one of their grants could live: what such an app
   * was given before then is no longer honoured (oidc/find-account.ts), even a token that no index
   * found, as `signedOutAt` does for every app.
   */
  appAccessRemoved?: Record<string, number>;
  /**
   * The last "Sign out every other browser" (epoch milliseconds, and the account page's session
   * that asked): account pages begun before it that are tied to no browser session (a change of
   * address begins its page again without one, since it ends them all) end then too, as the pages
   * tied to the sessions it ends do, but for the page that asked.
   */
  detachedPagesEnded?: { at: number; except: string };
}

export interface TotpEnrolment {
  /** The base32 secret, sealed by the secret box (its key id is part of the sealed value). */
  sealedSecret: string;
  enrolledAt: string;
}

/** Whether something that began at `epochSeconds` (a sign-in, a token's first issue) was ended by a sign-out everywhere. */
export function signedOutSince(account: Account, epochSeconds: number | undefined): boolean {
  // Sessions and tokens carry whole seconds: one that began within the second of the sign-out
  // counts as after it, so a person signing in right after an admin's reset is not turned away.
  return account.signedOutAt !== undefined && (epochSeconds === undefined || epochSeconds < Math.floor(account.signedOutAt / 1000));
}

/** Whether a token of app `clientId` whose chain began at `epochSeconds` was given before the person removed that app's access. */
export function appAccessRemovedSince(account: Account, clientId: string, epochSeconds: number | undefined): boolean {
  const removedAt = account.appAccessRemoved !== undefined && Object.hasOwn(account.appAccessRemoved, clientId) ? account.appAccessRemoved[clientId] : undefined;
  // Tokens carry whole seconds. Unlike signedOutSince, the second of the removal itself counts as
  // before it: what a request of the app in flight then issued is refused, and a person signing in
  // to the app again within that same second (hardly a person) is asked to once more.
  return removedAt !== undefined && (epochSeconds === undefined || epochSeconds <= Math.floor(removedAt / 1000));
}

/**
 * Whether an account page tied to no browser session (`sessionUid` undefined), begun at `issuedAt`
 * (epoch seconds), was ended by "Sign out every other browser" (`detachedPagesEnded`). As in
 * appAccessRemovedSince, the second of the sign-out counts as before it: a page begun then was
 * open when it was pressed.
 */
export function detachedPageEnded(account: Account, page: { sid: string; sessionUid?: string; issuedAt: number }): boolean {
  const ended = account.detachedPagesEnded;
  return page.sessionUid === undefined && ended !== undefined && page.sid !== ended.except && page.issuedAt <= Math.floor(ended.at / 1000);
}

/**
 * Whether the browser session with this uid, signed in at `signedInAt` (epoch seconds: the session's
 * loginTs, an account page's issue, a step-up's start), was signed out from another browser since
 * (`endedSessions`). A session keeps its uid when someone signs in to it again: one saved again by a
 * request in flight at the sign-out is refused until the email is proven in it anew, and then it is
 * a sign-in after the sign-out, honoured. Whole seconds; unlike signedOutSince, the second of the
 * sign-out counts as before it (as in appAccessRemovedSince): the session it ended was signed in
 * then, or earlier, and one signed in again within that second is asked once more.
 */
export function sessionEnded(account: Account, sessionUid: string | undefined, signedInAt: number | undefined): boolean {
  if (sessionUid === undefined || account.endedSessions === undefined || !Object.hasOwn(account.endedSessions, sessionUid)) return false;
  return signedInAt === undefined || signedInAt <= Math.floor(account.endedSessions[sessionUid]! / 1000);
}

/**
 * The language to remember on the account after it was used in `locale`, or undefined when the
 * account already has it (an account without one has English): the common case writes nothing.
 */
export function localeToRemember(account: Pick<Account, 'locale'>, locale: Locale): Locale | undefined {
  return (account.locale ?? DEFAULT_LOCALE) === locale ? undefined : locale;
}

/** The record's `locale` field for a language, left out for English (the default) as on accounts from before it. */
const localeField = (locale: Locale | undefined) => (locale && locale !== DEFAULT_LOCALE ? { locale } : {});

/** How a change of address ended: `taken` when another account holds the new one, `stale` when the account or its address changed meanwhile. */
export type EmailChange = { ok: true; previous: Account; account: Account } | { ok: false; reason: 'taken' | 'stale' };

/** Accounts keyed by a random id (the `sub`), findable by normalised email. */
export function createAccounts({ store }: { store: Store }) {
  /**
   * The account's stamps (`signedOutAt`, `endedSessions`, `appAccessRemoved`, `detachedPagesEnded`)
   * are compared with times other processes wrote: a session's sign-in, an account page's issue.
   * Each process's own clock may be seconds off the others'; one behind would stamp a sign-out
   * everywhere before a sign-in another, ahead, had just recorded as after it, and that session or
   * refresh token would outlive it. So both sides read one clock: the store's, on the server that
   * holds the account record.
   */
  const clockOf = (accountId: string) => store.clockMs(accountKey(accountId));
  /**
   * Now in epoch seconds by that same clock: for what the stamps are compared with, that Sesame
   * writes (a sign-in's loginTs, an account page's issue), so that they order as they happened.
   */
  async function nowSecondsFor(accountId: string): Promise<number> {
    return Math.floor((await clockOf(accountId)) / 1000);
  }

  async function findById(id: string): Promise<Account | undefined> {
    return store.get<Account>(accountKey(id));
  }

  async function findByEmail(email: string): Promise<Account | undefined> {
    const id = await store.get<string>(accountEmailKey(email));
    return id === undefined ? undefined : findById(id);
  }

  /**
   * An address key that leads to no account (its account was removed while a change of address
   * claimed the key) is released, so the address can sign up again instead of failing forever.
   * Taken back only while it still names that account: a sign-up that claimed it since keeps it.
   */
  async function releaseIfOrphaned(email: string): Promise<void> {
    const key = accountEmailKey(email);
    const id = await store.get<string>(key);
    if (id === undefined || (await findById(id))) return;
    const taken = await store.take<string>(key);
    if (taken !== undefined && taken !== id) await store.setIfAbsent(key, taken);
  }

  /** Creates the account unless one holds the address; concurrent calls converge on one account. `locale`: the language of the sign-in that creates it. */
  async function create(email: string, { verified, locale }: { verified: boolean; locale?: Locale }): Promise<{ account: Account; created: boolean }> {
    const now = new Date().toISOString();
    const account: Account = { id: randomUUID(), email, createdAt: now, ...(verified ? { emailVerifiedAt: now } : {}), ...localeField(locale) };
    // Record first, then claim the address: a crash in between leaves an orphan record, never an address pointing nowhere.
    await store.set(accountKey(account.id), account);
    let claimed = await store.setIfAbsent(accountEmailKey(email), account.id);
    if (!claimed) {
      const existing = await findByEmail(email);
      if (existing) {
        await store.delete(accountKey(account.id));
        return { account: existing, created: false };
      }
      await releaseIfOrphaned(email);
      claimed = await store.setIfAbsent(accountEmailKey(email), account.id);
      if (!claimed) {
        // Another sign-up released and claimed it first: converge on that account.
        await store.delete(accountKey(account.id));
        const winner = await findByEmail(email);
        if (winner) return { account: winner, created: false };
        throw new Error('account address was claimed and removed concurrently; try again');
      }
    }
    await store.addToIndex(accountListKey(), account.id);
    return { account, created: true };
  }

  /**
   * Moves the account to another proven address, keeping its id (the `sub`) and everything keyed
   * by it. The two address keys live in different Cluster slots, so no one command can swap them.
   * The new address is claimed first with setIfAbsent, the step that also makes concurrent
   * sign-ups converge in create(): of this change, a sign-up of that address and another
   * account's change to it exactly one wins, and an address never leads to two accounts. Then the
   * old address is released, and last the record names the new one. A crash between the steps
   * leaves the new address leading here while the record still names the old one, which is what
   * the next request for the same change expects: it finishes the move (the claim is found to be
   * this account's own).
   *
   * One change of address of an account at a time (a lock beside the account record, for as long
   * as a move can take): the account page's and `user change-email` at once, or a change held up
   * while others came and went, would otherwise interleave their claims and releases and leave an
   * address leading to the account that does not name it, or none leading to the one it names.
   * The one that finds the lock taken is `stale`: asked again, it finds the move done or redoes it.
   */
  async function changeEmail(accountId: string, from: string, to: string, { proven }: { proven: boolean }): Promise<EmailChange> {
    const lockKey = emailChangeLockKey(accountId);
    const holder = randomUUID();
    if (!(await store.setIfAbsent(lockKey, holder, EMAIL_CHANGE_LOCK_SECONDS))) return { ok: false, reason: 'stale' };
    try {
      return await moveAddress(accountId, from, to, { proven });
    } finally {
      // Ours to release only: one that outlived its lifetime may have been taken by the next change.
      const held = await store.take<string>(lockKey);
      if (held !== undefined && held !== holder) await store.setIfAbsent(lockKey, held, EMAIL_CHANGE_LOCK_SECONDS);
    }
  }

  async function moveAddress(accountId: string, from: string, to: string, { proven }: { proven: boolean }): Promise<EmailChange> {
    const account = await findById(accountId);
    if (!account || account.email !== from || from === to) return { ok: false, reason: 'stale' };
    const newKey = accountEmailKey(to);
    const claimed = (await store.setIfAbsent(newKey, accountId)) || (await store.get<string>(newKey)) === accountId;
    if (!claimed) return { ok: false, reason: 'taken' };
    // Only while it still leads here: after a half-finished move someone may have signed up with it.
    const oldKey = accountEmailKey(from);
    if ((await store.get<string>(oldKey)) === accountId) await store.delete(oldKey);
    const verifiedAt = new Date().toISOString();
    // Over the record as it is now (a sign-out everywhere landing meanwhile is kept); where the
    // account was removed meanwhile, it stays removed. Should its address have changed all the same
    // (a change that outlived the lock), that one stands and this one lets go of its claim.
    // An administrator's move (`user change-email`) proves nothing about the new mailbox, which may
    // be mistyped: it stays unverified (apps get email_verified false) until its first sign-in.
    const updated = await update(accountId, ({ emailVerifiedAt, ...current }) => {
      if (current.email === to) return { ...current, ...(emailVerifiedAt ? { emailVerifiedAt } : {}) };
      if (current.email !== from) return undefined;
      return { ...current, email: to, ...(proven ? { emailVerifiedAt: verifiedAt } : {}) };
    });
    if (!updated || updated.email !== to) {
      if ((await store.get<string>(newKey)) === accountId && updated) await store.delete(newKey);
      return { ok: false, reason: 'stale' };
    }
    return { ok: true, previous: account, account: updated };
  }

  /**
   * The first proven sign-in of an account an administrator added. Through `update`, as every other
   * change: a `user sign-out` or `reset-mfa` landing between this request's read and its write must
   * not be undone. One round trip, once in an account's life. Undefined when the account was
   * deleted meanwhile (it stays deleted). `locale`: the sign-in's language, remembered in the same write.
   */
  async function markVerified(account: Account, { locale }: { locale?: Locale } = {}): Promise<Account | undefined> {
    const verifiedAt = new Date().toISOString();
    return update(account.id, ({ locale: previous, ...current }) => ({ ...current, emailVerifiedAt: current.emailVerifiedAt ?? verifiedAt, ...localeField(locale ?? previous) }));
  }

  /**
   * Read-modify-write of one record; undefined when the account is gone. Written only over what
   * was read (replaceIfUnchanged), else read again: two changes at once (the account page signing
   * a browser out while the administrator resets the authenticator) must not lose either.
   * `change` returns undefined where it no longer applies to the record as it is now; the record
   * is then returned as it is, unwritten.
   */
  async function update(accountId: string, change: (account: Account) => Account | undefined): Promise<Account | undefined> {
    const key = accountKey(accountId);
    for (let attempt = 0; attempt < 10; attempt++) {
      const json = await store.getJson(key);
      if (json === undefined) return undefined;
      const current = JSON.parse(json) as Account;
      const updated = change(current);
      // The change no longer applies to the record as it is now: nothing is written.
      if (updated === undefined) return current;
      const outcome = await store.replaceIfUnchanged(key, json, updated);
      if (outcome === 'written') return updated;
      if (outcome === 'missing') return undefined;
    }
    throw new Error(`account ${accountId} kept changing while it was being updated`);
  }

  /**
   * Deletes the account by its id, whatever address it has now (a change of address may have
   * moved it since `account` was read), and the address keys that lead to it. The record is
   * taken (read and deleted in one command), so of two removals at once (two browsers, the
   * account page and `user remove`) exactly one gets it: that one returns the record as it was,
   * and only it goes on to tell the mailbox and write the audit line; the other returns undefined,
   * as for an account already gone.
   */
  async function removeAccount(account: Account): Promise<Account | undefined> {
    const current = await store.take<Account>(accountKey(account.id));
    if (!current) return undefined;
    const addresses = [...new Set([account.email, current.email])];
    const leads = await Promise.all(addresses.map((email) => store.get<string>(accountEmailKey(email))));
    const keys = addresses.filter((_, i) => leads[i] === account.id).map(accountEmailKey);
    await store.delete(...keys);
    await store.removeFromIndex(accountListKey(), account.id);
    return current;
  }

  return {
    findById,
    findByEmail,
    create,
    changeEmail,
    markVerified,
    async setTotp(accountId: string, totp: TotpEnrolment): Promise<Account | undefined> {
      return update(accountId, (account) => ({ ...account, totp }));
    },
    /**
     * The authenticator's secret sealed again (under the current key), only while the account still
     * has the very authenticator sealed as `from`: a check that read the account before the
     * authenticator was removed, or removed and set up anew, must not write the old one back.
     */
    async resealTotp(accountId: string, from: string, to: string): Promise<Account | undefined> {
      return update(accountId, (account) => (account.totp?.sealedSecret === from ? { ...account, totp: { ...account.totp, sealedSecret: to } } : undefined));
    },
    nowSecondsFor,
    /** Ends every session and token of the account that exists now; the next sign-in starts afresh. */
    async signOutEverywhere(accountId: string): Promise<Account | undefined> {
      const now = await clockOf(accountId);
      return update(accountId, (account) => ({ ...account, signedOutAt: now }));
    },
    /** Records these browser sessions as signed out (`endedSessions`), forgetting entries older than `keepSeconds`. */
    async endSessions(accountId: string, sessionUids: readonly string[], { keepSeconds }: { keepSeconds: number }): Promise<Account | undefined> {
      const now = await clockOf(accountId);
      return update(accountId, (account) => {
        const kept = Object.entries(account.endedSessions ?? {}).filter(([, at]) => now - at < keepSeconds * 1000);
        return { ...account, endedSessions: Object.fromEntries([...kept, ...sessionUids.map((uid) => [uid, now] as const)]) };
      });
    },
    /** Ends the account pages begun until now that are tied to no browser session, but for the page `except` (`detachedPagesEnded`). */
    async endDetachedPages(accountId: string, { except }: { except: string }): Promise<Account | undefined> {
      const now = await clockOf(accountId);
      return update(accountId, (account) => ({ ...account, detachedPagesEnded: { at: now, except } }));
    },
    /** Records that the app's access was removed now (`appAccessRemoved`), forgetting entries older than `keepSeconds`. */
    async removeAppAccess(accountId: string, clientId: string, { keepSeconds }: { keepSeconds: number }): Promise<Account | undefined> {
      const now = await clockOf(accountId);
      return update(accountId, (account) => {
        const kept = Object.entries(account.appAccessRemoved ?? {}).filter(([id, at]) => id !== clientId && now - at < keepSeconds * 1000);
        return { ...account, appAccessRemoved: Object.fromEntries([...kept, [clientId, now] as const]) };
      });
    },
    /** Remembers the language the person used last (`locale`); nothing is written where the record has it already. */
    async setLocale(accountId: string, locale: Locale): Promise<Account | undefined> {
      return update(accountId, ({ locale: previous, ...account }) => (localeToRemember({ locale: previous }, locale) === undefined ? undefined : { ...account, ...localeField(locale) }));
    },
    /** Sets the account's name, or removes it (undefined). */
    async setName(accountId: string, name: string | undefined): Promise<Account | undefined> {
      return update(accountId, ({ name: _previous, ...account }) => (name === undefined ? account : { ...account, name }));
    },
    async clearTotp(accountId: string): Promise<Account | undefined> {
      return update(accountId, ({ totp: _removed, ...account }) => account);
    },
    async list(): Promise<Account[]> {
      const ids = await store.readIndex(accountListKey());
      const accounts = await Promise.all(ids.map(findById));
      return accounts.filter((a): a is Account => a !== undefined).sort((a, b) => a.email.localeCompare(b.email));
    },
    /** The account removed, or undefined when there was none (or another removal took it first). */
    async remove(email: string): Promise<Account | undefined> {
      const account = await findByEmail(email);
      if (!account) return undefined;
      return removeAccount(account);
    },
    removeAccount,
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
