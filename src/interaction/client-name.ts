import type Provider from 'oidc-provider';

/** The app's display name for pages and mail: client_name, else its client_id. */
export async function clientNameOf(provider: Provider, clientId: unknown): Promise<string> {
  if (typeof clientId !== 'string') return 'the app';
  const client = await provider.Client.find(clientId);
  return client?.clientName ?? client?.clientId ?? 'the app';
}
