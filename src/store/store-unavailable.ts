/**
 * The storage backend cannot be reached right now (Redis down, failing over, or too slow).
 * Shaped so both error handlers show it as it is: ours renders the 503 page, and oidc-provider's
 * (which reads `statusCode`, `expose` and uses `message` as the OAuth error code) answers
 * 503 `temporarily_unavailable` (RFC 6749 §4.1.2.1) instead of a 500 `server_error`.
 */
export class StoreUnavailable extends Error {
  readonly status = 503;
  readonly statusCode = 503;
  readonly expose = true;
  readonly error = 'temporarily_unavailable';
  readonly error_description = 'Sign-in is briefly unavailable. Please try again in a moment.';

  constructor(cause: unknown) {
    super('temporarily_unavailable', { cause });
    this.name = 'StoreUnavailable';
  }
}

// Redis replies that mean "not now" rather than "wrong command": loading after a restart, a cluster
// without quorum or mid-resharding, a replica promoted away from under us, memory full
// (maxmemory reached under noeviction: writes are refused until memory is freed or raised; a
// script's write refused so reads "OOM ... script: ..."), and a Redis restarted with a password
// this connection no longer has.
const UNAVAILABLE_REPLY = /^(LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY|NOREPLICAS|BUSY|OOM|NOAUTH|WRONGPASS) /;
const UNAVAILABLE_MESSAGE = /Connection is closed|Stream isn't writeable|Command timed out|Cluster isn't ready|None of startup nodes is available|Failed to refresh slots cache|Too many Cluster redirections|All sentinels are unreachable|connect ETIMEDOUT/;
const UNAVAILABLE_CODE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** True for errors that say Redis is unreachable or not serving, as opposed to a bug in a command. */
export function isRedisUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailable) return true;
  if (!(error instanceof Error)) return false;
  const { name, message } = error;
  const code = (error as { code?: string }).code;
  return (
    name === 'MaxRetriesPerRequestError' ||
    name === 'ClusterAllFailedError' ||
    (code !== undefined && UNAVAILABLE_CODE.has(code)) ||
    UNAVAILABLE_REPLY.test(message) ||
    UNAVAILABLE_MESSAGE.test(message)
  );
}

/** Rethrows an outage as StoreUnavailable, anything else unchanged. */
export function asStoreError(error: unknown): unknown {
  return isRedisUnavailable(error) && !(error instanceof StoreUnavailable) ? new StoreUnavailable(error) : error;
}
