import { randomInt } from 'node:crypto';
import type { Store } from '../store/store.ts';
import { signInAttemptsKey, signInCodeKey, signInIssueKey, signInRequestAddressKey } from '../store/keys.ts';
import { UNCOUNTED_ATTEMPT, type Lockout } from './lockout.ts';
import { constantTimeEqual, hmacSha256, randomDigits, randomToken } from './secrets.ts';

/** What is stored per interaction: hashes only, never the code or link token themselves. */
interface StoredSignIn {
  issueId: string;
  /**
   * The request this issue answers: the first issue's id, kept by every resend to the same address
   * while the sign-in waits (signInIssueKey). Absent in records issued before it was kept: their
   * issue id stands for it.
   */
  requestId?: string;
  email: string;
  codeHash: string;
  linkHash: string;
  /** Shown in the waiting tab and asked for on another device: guards against approving someone else's sign-in. */
  matchNumber: number;
  /** "Chrome on Linux": shown on the link's confirmation page so a person recognises their own request. */
  requestedFrom: string;
  /** The app being signed in to, for that page on another device, which does not hold the sign-in. */
  clientName?: string;
  /** A device's sign-in (RFC 8628), which that page says plainly: see SignInRequest.forDevice. */
  forDevice?: true;
  /** Its client_id, for the audit line of a wrong number entered there (not in records issued before it was kept). */
  clientId?: string;
  issuedAt: number;
  expiresAt: number;
}

export interface IssuedSignIn {
  code: string;
  linkToken: string;
  matchNumber: number;
  expiresAt: Date;
}

export type CodeCheck =
  | { ok: true; email: string }
  | { ok: false; reason: 'wrong'; attemptsLeft: number }
  | { ok: false; reason: 'expired' | 'too-many-attempts' };

export type LinkCheck =
  /**
   * `device`: a device's sign-in (SignInRequest.forDevice), with its app's name when known.
   * `requestId`: the request the link answered (StoredSignIn.requestId), which an approval on another device carries.
   */
  | { ok: true; email: string; requestId: string; device?: { clientName?: string } }
  | { ok: false; reason: 'expired' }
  /** The sign-in the link was for: the device that guessed holds no interaction to name it. */
  | { ok: false; reason: 'wrong-number'; email: string; clientId: string | undefined };

export interface PendingSignIn {
  email: string;
  matchNumber: number;
  requestedFrom: string;
  clientName?: string;
  forDevice?: true;
  expiresAt: Date;
}

/** What the link's confirmation page says of the sign-in, beside the address and the number. */
export interface SignInRequest {
  /** "Chrome on Linux": shown on the link's confirmation page so a person recognises their own request. */
  requestedFrom: string;
  /** The app being signed in to. */
  clientName?: string;
  /** Its client_id, for the audit line of a wrong number entered on the link's page. */
  clientId?: string;
  /**
   * The sign-in a device's "Allow" at /device started. Whoever pressed Allow may have typed
   * someone else's address (RFC 8628 §5.4, remote phishing): the mail and the link's page say
   * that this sign-in connects a device, to the person who never saw the device pages.
   */
  forDevice?: boolean;
}

export interface SignInCodesOptions {
  store: Store;
  hmacKey: string;
  /** @default 600 */
  ttlSeconds?: number;
  /** @default 6 */
  codeLength?: number;
  /** @default 5 */
  maxWrongAttempts?: number;
  /**
   * Consecutive wrong codes per address, across sign-ins. While the address is locked every code
   * is answered exactly like a wrong one, so a guesser learns nothing, not even that it is locked.
   */
  lockout?: Lockout;
  /** @default Date.now */
  now?: () => number;
}

/** A device's link token: 192 random bits (32 characters), then an 11-character tag; 43 characters, as an app's. */
const DEVICE_LINK_RANDOM_BYTES = 24;
const DEVICE_LINK_RANDOM_CHARS = 32;
const DEVICE_TAG_CHARS = 11;

/**
 * The address of the request the sign-in waits for (signInRequestAddressKey), with the id of that
 * request. The id itself is kept alone at signInIssueKey, in the shape the release before requests
 * were kept read as its issue: an instance of it still running during a rolling upgrade takes an
 * approval only where the two match (README "Rolling upgrades"). This is only read where its requestId is
 * still the one waited for: that release, issuing again, replaces the id and leaves this behind.
 */
interface RequestAddress {
  requestId: string;
  email: string;
}

/**
 * The magic link and the typed code of one sign-in (one oidc-provider interaction). Both are
 * single-use, expire, are stored only as HMACs, and redeeming either kills both. Issuing again for
 * the same interaction replaces the previous pair.
 *
 * Each issue has an id, and answers a request: the first issue's, kept by every resend to the same
 * address. The request is kept beside the pair as what the sign-in waits for (signInIssueKey)
 * until the sign-in starts over (`cancel`) or issues for another address. It outlives the pair's
 * redemption: a link confirmed on another device leaves an approval for the waiting tab, which
 * counts only while its request is still the one waited for (auth/login-approvals.ts). The
 * confirmation takes the pair before it saves the approval, so "Use a different email" pressed in
 * between found nothing to forget, and that approval, saved a moment later, let the tab continue
 * as the first address. A resend ("Send a new link and code") to the same address is the same
 * request: the earlier link stops working, but an approval it already gave (or was saving as the
 * resend went out) still lets the tab continue, as the phone that gave it said it would.
 */
export function createSignInCodes({ store, hmacKey, ttlSeconds = 600, codeLength = 6, maxWrongAttempts = 5, lockout, now = Date.now }: SignInCodesOptions) {
  if (!(ttlSeconds > 0)) throw new TypeError('ttlSeconds must be positive');
  if (hmacKey.length < 16) throw new TypeError('hmacKey is too short');
  const hash = (purpose: 'code' | 'link', uid: string, value: string) => hmacSha256(hmacKey, `${purpose}:${uid}`, value);
  /**
   * A device's link says so itself, for after every record of it is gone (README "Devices and
   * command-line tools"): its last DEVICE_TAG_CHARS characters are a keyed hash of the rest and
   * the sign-in's uid. Without the key the tag is as random as the rest, so the link tells nobody
   * else anything; an app's link is random throughout (a tag matching by chance: 2^-66).
   */
  const deviceTagOf = (uid: string, randomPart: string) => hmacSha256(hmacKey, `device-link:${uid}`, randomPart).slice(0, DEVICE_TAG_CHARS);
  const newLinkToken = (uid: string, forDevice: boolean | undefined) => {
    if (!forDevice) return randomToken();
    const randomPart = randomToken(DEVICE_LINK_RANDOM_BYTES);
    return `${randomPart}${deviceTagOf(uid, randomPart)}`;
  };
  /**
   * Puts back a record taken by a redemption it was not for, for the rest of its lifetime; only
   * if nothing newer took its place meanwhile (a resend must never be undone). Reports "expired".
   */
  const putBack = async (key: string, taken: StoredSignIn): Promise<{ ok: false; reason: 'expired' }> => {
    const secondsLeft = Math.ceil((taken.expiresAt - now()) / 1000);
    if (secondsLeft > 0) await store.setIfAbsent(key, taken, secondsLeft);
    return { ok: false, reason: 'expired' };
  };

  return {
    async issue(interactionUid: string, email: string, { requestedFrom, clientId, clientName, forDevice }: SignInRequest): Promise<IssuedSignIn> {
      const code = randomDigits(codeLength);
      const linkToken = newLinkToken(interactionUid, forDevice);
      const matchNumber = randomInt(10, 100);
      const issuedAt = now();
      const issueId = randomToken(9);
      // A resend to the address already waited for goes on with its request; another address starts one.
      const [waited, address] = (await store.getMany<unknown>([signInIssueKey(interactionUid), signInRequestAddressKey(interactionUid)])) as [unknown, RequestAddress | undefined];
      const requestId = typeof waited === 'string' && address?.requestId === waited && address.email === email ? waited : issueId;
      const record: StoredSignIn = {
        issueId,
        requestId,
        email,
        codeHash: hash('code', interactionUid, code),
        linkHash: hash('link', interactionUid, linkToken),
        matchNumber,
        requestedFrom,
        ...(clientId ? { clientId } : {}),
        ...(clientName ? { clientName } : {}),
        ...(forDevice ? { forDevice: true as const } : {}),
        issuedAt,
        expiresAt: issuedAt + ttlSeconds * 1000,
      };
      // Kept as long as an approval of this issue may be waiting to be taken: one given as the link
      // expires lives as long again (LoginApprovals' lifetime is the link's).
      await Promise.all([
        store.set(signInCodeKey(interactionUid), record, ttlSeconds),
        store.set(signInIssueKey(interactionUid), requestId, 2 * ttlSeconds),
        store.set(signInRequestAddressKey(interactionUid), { requestId, email } satisfies RequestAddress, 2 * ttlSeconds),
      ]);
      return { code, linkToken, matchNumber, expiresAt: new Date(record.expiresAt) };
    },

    /** What the waiting tab and the link's confirmation page show; undefined once redeemed or expired. */
    async pending(interactionUid: string): Promise<PendingSignIn | undefined> {
      const record = await store.get<StoredSignIn>(signInCodeKey(interactionUid));
      return record && toPending(record);
    },

    /**
     * Redeems a typed code. Every attempt is counted, right or wrong, and the count decides: of a
     * burst of parallel guesses no more than the cap get an answer, even when one of them is right.
     * The same holds for the address's lockout: a right code is counted in its streak before it
     * is honoured, so of guesses sent at once (over several sign-ins) no more than the tries the
     * streak has left can sign in.
     */
    async redeemCode(interactionUid: string, code: string): Promise<CodeCheck> {
      const key = signInCodeKey(interactionUid);
      const record = await store.get<StoredSignIn>(key);
      if (!record) return { ok: false, reason: 'expired' };
      const attemptsKey = signInAttemptsKey(interactionUid, record.issueId);
      const refusedAsWrong = async (attempts: number): Promise<CodeCheck> => {
        if (attempts >= maxWrongAttempts) {
          await store.delete(key);
          return { ok: false, reason: 'too-many-attempts' };
        }
        return { ok: false, reason: 'wrong', attemptsLeft: maxWrongAttempts - attempts };
      };
      // Read from the request's memory when the route prefetched it (interaction/router.ts).
      const lockedOut = lockout ? await lockout.isLocked(record.email) : false;
      if (!lockedOut && constantTimeEqual(hash('code', interactionUid, code), record.codeHash)) {
        // Counted (for this code and for the address) in one batch, before anything is taken.
        const [attempts, counted] = await Promise.all([store.increment(attemptsKey, ttlSeconds), lockout ? lockout.countAttempt(record.email) : UNCOUNTED_ATTEMPT]);
        // Not honoured from here on: a failure of the address's streak, which may be the one that locks it.
        const notHonoured = (answer: CodeCheck): CodeCheck => {
          counted.failed();
          return answer;
        };
        // Past the address's ceiling: the same answer and the same work as a wrong code.
        if (!counted.withinCeiling) return notHonoured(await refusedAsWrong(attempts));
        if (attempts > maxWrongAttempts) return notHonoured({ ok: false, reason: 'too-many-attempts' });
        const taken = await store.take<StoredSignIn>(key);
        if (!taken || taken.expiresAt <= now()) return notHonoured({ ok: false, reason: 'expired' });
        if (taken.issueId !== record.issueId) return notHonoured(await putBack(key, taken));
        return { ok: true, email: taken.email };
      }
      // A wrong code, or any code while the address is locked: the same answer, the same work.
      const [attempts] = await Promise.all([store.increment(attemptsKey, ttlSeconds), lockout?.recordFailure(record.email)]);
      return refusedAsWrong(attempts);
    },

    /** Checks a link token without redeeming it: a GET of the link must never consume it. */
    async peekLink(interactionUid: string, linkToken: string): Promise<PendingSignIn | undefined> {
      const record = await store.get<StoredSignIn>(signInCodeKey(interactionUid));
      if (!record || !constantTimeEqual(hash('link', interactionUid, linkToken), record.linkHash)) return undefined;
      return toPending(record);
    },

    /**
     * Redeems a link token. `matchNumber` is required when the link is confirmed on a device other
     * than the one that asked: the record is taken before the number is compared, so of parallel
     * guesses only one is compared at all. A wrong number burns the link but not the code: what
     * goes back has no link, so whoever holds only the link cannot cancel the sign-in of the
     * person who can still type the code in the tab where it began.
     */
    async redeemLink(interactionUid: string, linkToken: string, matchNumber?: number): Promise<LinkCheck> {
      const key = signInCodeKey(interactionUid);
      const record = await store.get<StoredSignIn>(key);
      if (!record || !constantTimeEqual(hash('link', interactionUid, linkToken), record.linkHash)) return { ok: false, reason: 'expired' };
      // Of concurrent redeemers exactly one takes the record, and what it took is checked again:
      // the read above may be older than a newer issue, or than a wrong number that burnt the link
      // (a request that read before that put-back must not get a number compared after it).
      const taken = await store.take<StoredSignIn>(key);
      if (!taken || taken.expiresAt <= now()) return { ok: false, reason: 'expired' };
      if (taken.issueId !== record.issueId || !constantTimeEqual(hash('link', interactionUid, linkToken), taken.linkHash)) return putBack(key, taken);
      if (matchNumber !== undefined && matchNumber !== taken.matchNumber) {
        await putBack(key, { ...taken, linkHash: '' });
        return { ok: false, reason: 'wrong-number', email: taken.email, clientId: taken.clientId };
      }
      const requestId = taken.requestId ?? taken.issueId;
      if (!taken.forDevice) return { ok: true, email: taken.email, requestId };
      return { ok: true, email: taken.email, requestId, device: taken.clientName ? { clientName: taken.clientName } : {} };
    },

    /**
     * Whether a link token was issued for a device's sign-in (SignInRequest.forDevice), read from
     * the token alone: true long after the sign-in and every record of it expired, so that the link
     * opened then, in a browser that never saw the device pages, can say to start again on the device.
     */
    wasIssuedForDevice(interactionUid: string, linkToken: string): boolean {
      if (linkToken.length !== DEVICE_LINK_RANDOM_CHARS + DEVICE_TAG_CHARS) return false;
      const randomPart = linkToken.slice(0, DEVICE_LINK_RANDOM_CHARS);
      return constantTimeEqual(deviceTagOf(interactionUid, randomPart), linkToken.slice(DEVICE_LINK_RANDOM_CHARS));
    },

    /** The sign-in starts over: the pair stops working, no approval of it counts any more, and the next issue is a new request. */
    async cancel(interactionUid: string) {
      await store.delete(signInCodeKey(interactionUid), signInIssueKey(interactionUid), signInRequestAddressKey(interactionUid));
    },
  };
}

export type SignInCodes = ReturnType<typeof createSignInCodes>;

const toPending = (record: StoredSignIn): PendingSignIn => ({
  email: record.email,
  matchNumber: record.matchNumber,
  requestedFrom: record.requestedFrom,
  ...(record.clientName ? { clientName: record.clientName } : {}),
  ...(record.forDevice ? { forDevice: true as const } : {}),
  expiresAt: new Date(record.expiresAt),
});
