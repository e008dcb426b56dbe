// Every key shape in one place. The part in {braces} is the Redis Cluster hash tag: keys that are
// used together in one command (a record and its consumed marker, a sign-in and its attempt
// counter) share it, so they land in one slot.

export const oidcRecordKey = (model: string, id: string) => `oidc:${model}:{${id}}`;
/** What oidcRecordKey(model, id) begins with (the grant index holds record keys). */
export const oidcRecordKeyPrefix = (model: string) => `oidc:${model}:{`;
export const oidcConsumedKey = (model: string, id: string) => `oidc:${model}:{${id}}:consumed`;
export const oidcGrantIndexKey = (grantId: string) => `oidc:grant:{${grantId}}`;
/**
 * The keys of a grant's short-lived codes and tokens issued in one hour (hours since the epoch; see
 * oidc/grant-index.ts), beside the grant's own index, under its tag.
 */
export const oidcGrantHourIndexKey = (grantId: string, hour: number) => `oidc:grant:{${grantId}}:${hour}`;
export const oidcSessionUidKey = (uid: string) => `oidc:session-uid:{${uid}}`;
/** The browser a session signed in from ("Firefox on Linux"), beside the session's record, in its slot. */
export const oidcSessionDeviceKey = (sessionId: string) => `oidc:Session:{${sessionId}}:device`;
export const oidcUserCodeKey = (userCode: string) => `oidc:user-code:{${userCode}}`;
/** The user code a session's browser last looked up at /device and was shown the confirmation for (device-flow/looked-up-user-codes.ts), beside the session's record. */
export const sessionLookedUpUserCodeKey = (sessionId: string) => `oidc:Session:{${sessionId}}:looked-up-user-code`;
/** Marks a pushed authorization request's first sign-in started (oidc/limit-sign-in-starts.ts), beside its record, in its slot. */
export const pushedRequestStartedKey = (jti: string) => `oidc:PushedAuthorizationRequest:{${jti}}:started`;
/** Marks a device code allowed or denied (oidc/store-adapter.ts): of two decisions sent at once, the first to set it wins. */
export const deviceCodeDecidedKey = (deviceCode: string) => `oidc:DeviceCode:{${deviceCode}}:decided`;
/** Present while a device code's last pending poll is too recent for another (device-flow/poll-interval.ts), beside the code's record, in its slot. */
export const devicePollSlotKey = (deviceCode: string) => `oidc:DeviceCode:{${deviceCode}}:polled`;
/**
 * The ids of an account's signed-in browser sessions saved on one day (days since the epoch; see
 * oidc/account-sessions-index.ts). Under the account's own {accountId} tag.
 */
export const oidcAccountSessionsKey = (accountId: string, day: number) => `oidc:account-sessions:{${accountId}}:${day}`;
/**
 * The ids of an account's grants with offline access made in one period (oidc/account-offline-grants-index.ts):
 * what lets the account page list an app that holds a refresh token after its browser session ended.
 */
export const oidcAccountOfflineGrantsKey = (accountId: string, period: number) => `oidc:account-offline-grants:{${accountId}}:${period}`;
/**
 * When a reader of that index first found `grantId` in it with no grant record: beside the index,
 * under the account's tag, so one read takes all of an account's.
 */
export const oidcAccountOfflineGrantMissingKey = (accountId: string, grantId: string) => `oidc:account-offline-grant-missing:{${accountId}}:${grantId}`;

export const signInCodeKey = (interactionUid: string) => `sign-in:{${interactionUid}}`;
export const signInAttemptsKey = (interactionUid: string, issueId: string) =>
  `sign-in:{${interactionUid}}:attempts:${issueId}`;
export const signInApprovalKey = (interactionUid: string) => `sign-in:{${interactionUid}}:approval`;
/**
 * The request (first issue and its resends to one address) that the sign-in waits for now, its id
 * alone (auth/sign-in-codes.ts); an approval of another is ignored. The release before requests
 * were kept saved its issue id here, and reads it so: README "Rolling upgrades".
 */
export const signInIssueKey = (interactionUid: string) => `sign-in:{${interactionUid}}:issue`;
/** The address of the request in signInIssueKey, and that request's id (a resend to it goes on with it), beside it. */
export const signInRequestAddressKey = (interactionUid: string) => `sign-in:{${interactionUid}}:request-address`;
/** The address of a sign-in whose code died, to fill in the email form again (auth/retry-address.ts). */
export const signInRetryAddressKey = (interactionUid: string) => `sign-in:{${interactionUid}}:retry-address`;

export const accountKey = (accountId: string) => `account:{${accountId}}`;
export const accountEmailKey = (email: string) => `account-email:{${email}}`;
export const accountListKey = () => 'accounts';
/**
 * A pending change of an account's address (account/request-email-change.ts) and its wrong-code
 * counter: under the account's own {accountId} tag, beside the account record. The two address
 * keys a change moves between (accountEmailKey) are in other slots, so the change never needs a
 * command that spans them (accounts.ts changeEmail).
 */
export const emailChangeKey = (accountId: string) => `email-change:{${accountId}}`;
/** Held while the account's address is being moved (accounts.ts changeEmail): one move at a time. */
export const emailChangeLockKey = (accountId: string) => `email-change:{${accountId}}:moving`;
export const emailChangeAttemptsKey = (accountId: string, issueId: string) => `email-change:{${accountId}}:attempts:${issueId}`;
/** A keyed hash that tells an admin CLI whether it has the servers' HMAC_KEY (config/settings-check.ts). */
export const settingsCheckKey = () => 'settings-check';
/** Written by every readiness check (store/redis-store.ts ping): a Redis that answers but takes no writes is not ready. */
export const readinessProbeKey = () => 'readiness-probe';
/** Scratch keys of one start's check that Redis lets Sesame run every command it needs (store/command-check.ts). */
export const startupCheckKey = (startId: string, name: string) => `startup-check:{${startId}}:${name}`;
/** The servers' ISSUER, beside it: what the CLI sends in their name must carry it. */
export const settingsCheckIssuerKey = () => 'settings-check:issuer';

// Subjects are HMACs (see auth/rate-limiter.ts, auth/lockout.ts): no email or IP appears in a key.
export const rateLimitKey = (limitName: string, subjectHash: string, windowStart: number) => `rate:{${limitName}:${subjectHash}}:${windowStart}`;
/** One client's share of a budget: under the budget's own hash tag, so both count in one script. */
export const rateLimitShareKey = (limitName: string, subjectHash: string, shareName: string, shareSubjectHash: string, windowStart: number) =>
  `rate:{${limitName}:${subjectHash}}:${shareName}:${shareSubjectHash}:${windowStart}`;
export const lockoutKey = (subjectHash: string) => `lockout:{${subjectHash}}`;

// The second factor. The TOTP step claims and recovery codes keep their keys beside their modules
// (auth/totp.ts, auth/recovery-codes.ts); all of an account's share its {accountId} tag.
/** "Email proven for account X": waits for the second factor of one sign-in. */
export const secondFactorPendingKey = (interactionUid: string) => `sign-in:{${interactionUid}}:second-factor`;
export const totpEnrollmentKey = (accountId: string) => `totp-enrollment:{${accountId}}`;
/** Fresh recovery codes, sealed, until the page that shows them once is opened (auth/recovery-codes-to-show.ts). */
export const recoveryCodesToShowKey = (accountId: string, holderHash: string) => `recovery-codes-to-show:{${accountId}}:${holderHash}`;
export const rememberedDeviceKey = (accountId: string, handle: string) => `device:{${accountId}}:${handle}`;
export const rememberedDeviceIndexKey = (accountId: string) => `devices:{${accountId}}`;

// The shared signing key set (signing-keys/key-set-store.ts): each version is written once; the
// pointer names the newest. One hash tag, though no command uses two of them at once.
export const signingKeySetVersionKey = (version: number) => `signing-keys:{signing-keys}:v${version}`;
export const signingKeySetPointerKey = () => 'signing-keys:{signing-keys}:current';
