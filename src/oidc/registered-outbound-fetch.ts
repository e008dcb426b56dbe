import type { Configuration } from 'oidc-provider';
import type { ClientRegistration } from '../config/config-schema.ts';

// The registration fields that name an address oidc-provider may call.
const OUTBOUND_FIELDS = ['backchannel_logout_uri', 'jwks_uri', 'sector_identifier_uri'] as const;

/**
 * oidc-provider's `fetch`, limited to the addresses the operator registered in the clients file.
 *
 * The library guards its own calls against server-side request forgery by refusing loopback and
 * private addresses, which is right where anyone may register a client. Sesame's clients come only
 * from the operator, and a self-hosted app's back-channel logout address is usually exactly that
 * (the app beside Sesame in the same compose network or cluster, `http://app:3000/...`). So the
 * guard here is the other way round: every address the operator wrote down may be called, wherever
 * it is, and nothing else, whatever a request says, redirects included.
 */
export function registeredOutboundFetch(clients: readonly ClientRegistration[]): NonNullable<Configuration['fetch']> {
  const allowed = new Set<string>();
  for (const client of clients) {
    for (const field of OUTBOUND_FIELDS) {
      const address = URL.parse(String(client[field] ?? ''));
      if (address) allowed.add(address.href);
    }
  }
  return async (url, options) => {
    const address = new URL(String(url)).href;
    if (!allowed.has(address)) throw new Error(`refused to call ${address}: no registered client names it`);
    // Without the library's dispatcher, which refuses private addresses; its timeout stays. A
    // redirect is never followed: it would lead to an address nobody registered (the library asks
    // for 'manual' where it reads a redirect as a failure, and leaves key fetches to follow).
    const { dispatcher: _dispatcher, ...rest } = options as RequestInit & { dispatcher?: unknown };
    return fetch(address, { ...rest, redirect: rest.redirect === 'manual' ? 'manual' : 'error' });
  };
}
