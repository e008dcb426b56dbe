import Provider from 'oidc-provider';
import type { Config } from '../config/config-schema.ts';
import type { ProviderHooks } from './provider-config.ts';
import { providerConfig } from './provider-config.ts';

export function createProvider(config: Readonly<Config>, hooks: ProviderHooks): Provider {
  const provider = new Provider(config.issuer, providerConfig(config, hooks));
  provider.proxy = config.trustProxy;
  return provider;
}
