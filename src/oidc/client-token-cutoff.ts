import type { ClientRegistration } from '../config/config-schema.ts';

/**
 * `tokens_not_before` of each app, in epoch seconds: the operator's answer to a leaked client
 * secret or a compromised app server (as Keycloak's "not before" per client). With a new secret
 * and this set to the moment of the change, every token the app holds from before (access tokens,
 * refresh tokens by the first issue of their chain, client_credentials tokens) is refused by the
 * token endpoint, userinfo and introspection, for every person, without touching Redis.
 */
export function clientTokenCutoffs(clients: readonly ClientRegistration[]): (clientId: string | undefined) => number | undefined {
  const cutoffs = new Map<string, number>();
  for (const client of clients) {
    if (typeof client.tokens_not_before === 'string') cutoffs.set(client.client_id, Math.floor(Date.parse(client.tokens_not_before) / 1000));
  }
  return (clientId) => (clientId === undefined ? undefined : cutoffs.get(clientId));
}

/** Whether a token that began at `epochSeconds` (its chain's first issue) is from before its app's cutoff. */
export function issuedBeforeCutoff(cutoff: number | undefined, epochSeconds: number | undefined): boolean {
  return cutoff !== undefined && (epochSeconds === undefined || epochSeconds < cutoff);
}
