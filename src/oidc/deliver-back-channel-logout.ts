import { STATUS_CODES } from 'node:http';
import type { Configuration } from 'oidc-provider';
import { PermanentFailure } from '../mail/permanent-rejection.ts';
import type { BackChannelLogoutJob } from './back-channel-logout-job.ts';
import { derivedFromClients, type CurrentClients } from './client-registry.ts';
import { registeredOutboundFetch } from './registered-outbound-fetch.ts';

/** `delivered`: the app answered 200 or 204. `app-gone`: the app, or its back-channel address, is no longer registered. */
export type BackChannelOutcome = 'delivered' | 'app-gone';

// Answers that may change if asked again later; any other 4xx, and any 3xx, will not.
const RETRYABLE_CLIENT_ERRORS = new Set([408, 425, 429]);

/**
 * Posts a queued logout token to the app, at the address registered for it now (an app removed
 * from the clients file since is not called). A refusal the app would repeat (a 4xx: it could not
 * validate the token; a redirect, never followed) fails at once; no answer, a 5xx, a timeout or a
 * refused connection is retried by the queue until the token expires.
 */
export function createBackChannelLogoutDelivery({
  clients,
  now = Date.now,
  timeoutMs = 5000,
  fetch,
}: {
  /** The registrations in force (oidc/client-registry.ts): a reload of the clients file reaches the next job. */
  clients: CurrentClients;
  now?: () => number;
  timeoutMs?: number;
  fetch?: NonNullable<Configuration['fetch']>;
}) {
  // Built again only after a reload.
  const registered = derivedFromClients(clients, (all) => ({
    addressOf: new Map(all.map((client) => [client.client_id, client.backchannel_logout_uri])),
    fetch: fetch ?? registeredOutboundFetch(all),
  }));
  return async function deliverBackChannelLogout(job: BackChannelLogoutJob): Promise<BackChannelOutcome> {
    const { addressOf, fetch } = registered();
    const address = addressOf.get(job.clientId);
    if (typeof address !== 'string') return 'app-gone';
    if (job.expiresAt * 1000 <= now()) throw new PermanentFailure('the logout token expired before the app accepted it');
    const response = await fetch(new URL(address), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: job.logoutToken }),
      signal: AbortSignal.timeout(timeoutMs),
    } as RequestInit);
    // The body is not read: free the connection.
    await response.body?.cancel().catch(() => undefined);
    const { status } = response;
    if (status === 200 || status === 204) return 'delivered';
    const message = `expected 200 OK from ${address}, got: ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd();
    if (status < 500 && !RETRYABLE_CLIENT_ERRORS.has(status)) throw new PermanentFailure(message);
    throw new Error(message);
  };
}
