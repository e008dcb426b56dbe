import type { Adapter, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { Store } from '../store/store.ts';
import { addToAccountOfflineGrants, grantsOfflineAccess } from './account-offline-grants-index.ts';
import { addToAccountSessions, removeFromAccountSessions } from './account-sessions-index.ts';
import { isWellFormedUserCode } from '../device-flow/user-codes.ts';
import { mayLookUpUserCode } from '../device-flow/decision-lookup.ts';
import { withChoiceOfAccount } from './device-another-account.ts';
import { CONSUMED_MARK_KEPT_SECONDS, keptForReuseDetection } from './consumed-refresh-token.ts';
import { grantIndexKeyFor, grantIndexKeys } from './grant-index.ts';
import { deviceCodeDecidedKey, oidcConsumedKey, oidcGrantIndexKey, oidcRecordKey, oidcSessionDeviceKey, oidcSessionUidKey, oidcUserCodeKey } from '../store/keys.ts';

// Models whose records carry a grantId and must die with their grant (lib/helpers/revoke.js).
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);
// Models the library consume()s: single-use codes and rotating refresh tokens.
const CONSUMABLE = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PushedAuthorizationRequest', 'PreAuthorizedCode']);
/**
 * How long a device code (and its user code) is kept after it expired. The library reads expired
 * ones on purpose, to say so: the person who types the code at /device is told it expired rather
 * than that it is wrong, and the device polling for it gets `expired_token` (RFC 8628 §3.5), not
 * `invalid_grant`. Gone with the record the moment it expires, neither would ever be said.
 */
export const EXPIRED_DEVICE_CODE_KEPT_SECONDS = 3600;

/**
 * How long the first sighting of a DPoP proof's or a client assertion's jti is held (see
 * `firstSighting`) until the library saves it with the lifetime it chose, a moment later in the
 * same request.
 */
const REPLAY_CLAIM_SECONDS = 600;

/**
 * How long a seen jti is kept, at least. The library saves a DPoP proof's for 300 s from the moment
 * it is seen, while it accepts a proof whose `iat` is up to 300 s either side of its own clock: a
 * proof dated ahead (its maker's clock running fast) stayed acceptable after its jti was forgotten,
 * for up to 300 s more, and longer still on an instance whose clock is behind. Kept for the whole
 * window on both sides, and a minute for the instances' clocks, it is refused wherever it comes back.
 */
export const REPLAY_KEPT_SECONDS = 2 * 300 + 60;

/**
 * A device code's Allow or Don't allow that lost to another one sent at the same moment (see
 * `decidesDeviceCode`). The device pages answer it as a code already used (device-flow/device-pages.ts).
 */
export class DeviceCodeDecidedElsewhere extends errors.InvalidRequest {
  constructor() {
    super('the device code was allowed or denied by another request');
  }
}

/**
 * A user code whose device code is gone before the code's time ran out: the record went with its
 * grant (revokeByGrantId: the device polled again after it had its tokens, its access was removed
 * on /account, its account was removed), and only a code that was allowed has a grant. The
 * library can only say "not found" of a missing record; the device pages answer this as a code
 * already used (device-flow/device-pages.ts), which it was.
 */
export class DeviceCodeRevoked extends errors.InvalidRequest {
  constructor() {
    super('the device code was used, and its grant has been revoked');
  }
}

/**
 * Whether this write of a device code is the person's decision at /device: "Allow" marks it
 * in flight, "Don't allow" gives it an error; later writes of the same sign-in carry the account
 * or an error on top of the in-flight mark. oidc-provider checks that a code is undecided and then
 * saves (lib/actions/code_verification.js): two decisions sent at once, from two browsers, both
 * passed, each was told "connected" (or one "not connected"), and the device got whichever wrote last.
 */
function decidesDeviceCode(payload: AdapterPayload): boolean {
  const { inFlight, error, accountId } = payload as { inFlight?: unknown; error?: unknown; accountId?: unknown };
  return accountId === undefined && (inFlight === true) !== (error !== undefined);
}

export interface StoreAdapterOptions {
  /**
   * Called with every record found, before the library uses it: a chance to start reading the
   * records it will ask for next (its session, grant and account), so that they arrive together
   * instead of one round trip after another. See src/oidc/related-records.ts.
   */
  onFound?: (model: string, payload: AdapterPayload) => void;
  /**
   * Called when a code or refresh token used twice at once had its grant revoked here, by the
   * loser of the race (`consume`): the library revokes a replay it sees itself and emits
   * `grant.revoked`, but never learns of this one. `payload` is the record used twice.
   */
  onRaceRevoked?: (model: string, payload: AdapterPayload) => void;
}

/**
 * oidc-provider's Adapter over our Store, one instance per model name.
 * `consume` is atomic (Store.markOnce): the library reads `consumed` and then consumes, so two
 * concurrent redemptions of one code would otherwise both succeed.
 * A Session is also kept whole under its uid, so findByUid (every interaction and token request)
 * is one read rather than two.
 */
export function createStoreAdapterClass(store: Store, { onFound = () => {}, onRaceRevoked = () => {} }: StoreAdapterOptions = {}) {
  return class StoreAdapter implements Adapter {
    readonly model: string;

    constructor(model: string) {
      this.model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
      const key = oidcRecordKey(this.model, id);
      const ttl = expiresIn !== undefined && this.model === 'DeviceCode' ? expiresIn + EXPIRED_DEVICE_CODE_KEPT_SECONDS : this.model === 'ReplayDetection' ? Math.max(expiresIn ?? 0, REPLAY_KEPT_SECONDS) : expiresIn;
      // Saved at or after its expiry (the library saves a token with what remains of its life,
      // which may be nothing): it expires at once, as its lifetime says, and goes as a destroy
      // does. Its payload's `exp` has passed, so the library would refuse it when found anyway.
      if (ttl !== undefined && ttl <= 0) return this.destroy(id);
      if (this.model === 'DeviceCode' && decidesDeviceCode(payload)) {
        // A device code is decided once (Store.markOnce, at once, on every instance): the loser of
        // two decisions sent together is refused before it writes anything.
        if ((await store.markOnce(key, deviceCodeDecidedKey(id), Math.floor(Date.now() / 1000))) !== 'marked') throw new DeviceCodeDecidedElsewhere();
        // "Allow with another account" is kept with the decision, for the sign-in after it.
        payload = withChoiceOfAccount(payload);
      }
      // Indexes first: a crash may leave a dangling index entry, never an unindexed token.
      const indexWrites: Promise<void>[] = [];
      if (GRANTABLE.has(this.model) && payload.grantId) indexWrites.push(store.addToIndex(grantIndexKeyFor(this.model, payload.grantId, ttl), key, ttl));
      if (payload.uid && this.model === 'Session') indexWrites.push(store.set(oidcSessionUidKey(payload.uid), { ...payload, jti: id }, ttl));
      // A signed-in session, findable by its account for a sign-out everywhere. In a request this is
      // buffered with the record's own write: no round trip of its own on the sign-in path.
      if (this.model === 'Session' && payload.accountId) indexWrites.push(addToAccountSessions(store, payload.accountId, id, ttl));
      // A grant whose app may keep a refresh token beyond the session, findable by its account for
      // the account page's "Apps with access". Saved at sign-in when it changes, not per refresh.
      if (this.model === 'Grant' && payload.accountId && grantsOfflineAccess(payload)) indexWrites.push(addToAccountOfflineGrants(store, payload.accountId, id, ttl));
      if (payload.userCode) indexWrites.push(store.set(oidcUserCodeKey(payload.userCode), id, ttl));
      await Promise.all(indexWrites);
      await store.set(key, payload, ttl);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'ReplayDetection') return this.firstSighting(id);
      if (!CONSUMABLE.has(this.model)) return this.found(await store.get<AdapterPayload>(oidcRecordKey(this.model, id)));
      const [payload, consumed] = await store.getMany<unknown>([oidcRecordKey(this.model, id), oidcConsumedKey(this.model, id)]);
      if (!payload) return undefined;
      // A used refresh token is kept without the id and kind its key already says (keepForReuseDetection).
      const whole = { jti: id, kind: this.model, ...(payload as AdapterPayload) };
      return this.found(consumed === undefined ? whole : { ...whole, consumed });
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.found(await store.get<AdapterPayload>(oidcSessionUidKey(uid)));
    }

    /**
     * ReplayDetection: the library asks whether a DPoP proof's jti (RFC 9449 §11.1), or a client
     * assertion's (RFC 7523 §3), was seen, and saves it when it was not: check, then write, so
     * proofs sent at once all passed the check (3 or 4 of 20 copies of one proof were accepted).
     * The look-up claims the jti itself, atomically on every instance: of concurrent look-ups only
     * the first finds nothing; the others find it and the library refuses them as replays.
     */
    private async firstSighting(id: string): Promise<AdapterPayload | undefined> {
      const now = Math.floor(Date.now() / 1000);
      const seen: AdapterPayload = { jti: id, iat: now, exp: now + REPLAY_CLAIM_SECONDS };
      return (await store.setIfAbsent(oidcRecordKey(this.model, id), seen, REPLAY_CLAIM_SECONDS)) ? undefined : seen;
    }

    private found(payload: AdapterPayload | undefined): AdapterPayload | undefined {
      if (payload) onFound(this.model, payload);
      return payload;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      // Typed by anyone at /device (normalised by the library): what Sesame never issues is not
      // looked up, so no arbitrary text becomes a key.
      if (!isWellFormedUserCode(userCode)) return undefined;
      // A decision not counted as an entry looks up the code it was shown for, and no other.
      if (!(await mayLookUpUserCode(userCode))) return undefined;
      const id = await store.get<string>(oidcUserCodeKey(userCode));
      if (id === undefined) return undefined;
      // The user code's index entry is written before its record, with the same lifetime, on
      // every save: it never outlives the record by expiring, only by the record's revocation.
      const found = await this.find(id);
      if (!found) throw new DeviceCodeRevoked();
      return found;
    }

    async consume(id: string): Promise<void> {
      const key = oidcRecordKey(this.model, id);
      const consumedAt = Math.floor(Date.now() / 1000);
      const outcome = await store.markOnce(key, oidcConsumedKey(this.model, id), consumedAt);
      if (outcome === 'marked' && this.model === 'RefreshToken') await this.keepForReuseDetection(key, id, consumedAt);
      if (outcome === 'already-marked') {
        // A code or refresh token used twice at once is a replay like one used after the other,
        // which the library answers by revoking the grant (RFC 6749 §4.1.2, RFC 9700 §4.14): so
        // does the loser of the race. Without the Grant record, what the winner issued is refused
        // wherever it is used, whichever of the two finished first.
        const record = await store.get<AdapterPayload>(key);
        const grantId = record?.grantId;
        if (grantId) {
          await Promise.all([this.revokeByGrantId(grantId), store.delete(oidcRecordKey('Grant', grantId))]);
          onRaceRevoked(this.model, record!);
        }
      }
      // The loser of a race (or a record that expired in between) must not get tokens.
      if (outcome !== 'marked') throw new errors.InvalidGrant(`${this.model} was already used or has expired`);
    }

    /**
     * A rotated refresh token is kept until it would have expired, so that its reuse is caught, but
     * only as what that needs (consumed-refresh-token.ts), and outside its grant's index: an app
     * that refreshes every 15 minutes would otherwise keep about 1 KB more each time for 30 days.
     * Revoking the grant then leaves it, which is sound: presented again, it is refused for its grant
     * being gone, before the library looks at whether it was used. Its separate mark, which only two
     * uses at once need once the record says it was used, goes after CONSUMED_MARK_KEPT_SECONDS.
     * The three writes are buffered with the request's others (this request read the record: no
     * round trip of their own), and go in the same batch as the new token's index entry and record:
     * "Apps with access" sees the grant hold a refresh token throughout but for the moment between
     * two commands of that batch.
     */
    private async keepForReuseDetection(key: string, id: string, consumedAt: number): Promise<void> {
      const token = await store.get<AdapterPayload>(key);
      if (!token?.grantId || typeof token.exp !== 'number') return;
      const remaining = token.exp - consumedAt;
      if (remaining <= 0) return;
      await Promise.all([
        store.replace(key, keptForReuseDetection(token, consumedAt), remaining),
        store.removeFromIndex(oidcGrantIndexKey(token.grantId), key),
        store.replace(oidcConsumedKey(this.model, id), consumedAt, Math.min(remaining, CONSUMED_MARK_KEPT_SECONDS)),
      ]);
    }

    async destroy(id: string): Promise<void> {
      const key = oidcRecordKey(this.model, id);
      if (this.model === 'Session') {
        // The copy under the uid goes too, unless it already belongs to a newer session of that uid.
        const session = await store.get<AdapterPayload>(key);
        const copy = session?.uid ? await store.get<AdapterPayload>(oidcSessionUidKey(session.uid)) : undefined;
        if (copy?.jti === id) await store.delete(oidcSessionUidKey(session!.uid!));
        if (session?.accountId) await removeFromAccountSessions(store, session.accountId, id);
      }
      // A session's device label goes with it (same slot: one command).
      const companions = CONSUMABLE.has(this.model) ? [oidcConsumedKey(this.model, id)] : this.model === 'Session' ? [oidcSessionDeviceKey(id)] : [];
      await store.delete(key, ...companions);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const indexKeys = grantIndexKeys(grantId);
      const recordKeys = (await Promise.all(indexKeys.map((indexKey) => store.readIndex(indexKey)))).flat();
      await store.delete(...recordKeys, ...recordKeys.map((key) => `${key}:consumed`), ...indexKeys);
    }
  };
}
