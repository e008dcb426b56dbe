import type Provider from 'oidc-provider';
import { ConfigError, type ClientRegistration } from '../config/config-schema.ts';

/**
 * oidc-provider checks a registration only when the client is first used, so a mistake in the
 * clients file would otherwise surface as a failed sign-in at that app, and be checked again (and
 * fail again) on every request. Checked here at start-up instead: Sesame does not start, and the
 * message names the entry and what the provider objects to.
 */
export async function checkClientRegistrations(provider: Provider, clients: readonly ClientRegistration[]): Promise<void> {
  const problems: string[] = [];
  for (const [index, client] of clients.entries()) {
    try {
      if (!(await provider.Client.find(client.client_id))) problems.push(`CLIENTS_FILE[${index}] (${client.client_id}): not accepted by the provider`);
    } catch (error) {
      const { error_description: description, message } = error as { error_description?: string; message?: string };
      problems.push(`CLIENTS_FILE[${index}] (${client.client_id}): ${description ?? message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
