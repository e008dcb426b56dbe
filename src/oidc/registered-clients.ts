import { accountClient } from '../account/account-client.ts';
import type { ClientRegistration, Config } from '../config/config-schema.ts';
import { demoClient } from '../dev/demo-client.ts';

/** Every app the provider knows: the clients file's, the account page, and in development the demo app. */
export function registeredClients(config: Pick<Config, 'clients' | 'issuer' | 'appName' | 'devTools'>): ClientRegistration[] {
  return [...config.clients, accountClient(config.issuer, config.appName), ...(config.devTools ? [demoClient(config.issuer)] : [])];
}
