import Provider, { type Configuration } from 'oidc-provider';
import type { Config } from '../config/config-schema.ts';
import type { ProviderHooks } from './provider-config.ts';
import { errorExplanationSettings, providerConfig } from './provider-config.ts';
import { explainErrorsToApps } from './explain-errors.ts';
import { queueBackChannelLogouts } from './queued-back-channel-logout.ts';
import { withInProcessSigning } from '../signing-keys/in-process-signing-key.ts';

/** `jwks`: the keys to sign with, when they come from the shared key set rather than JWKS_FILE. */
export function createProvider(config: Readonly<Config>, hooks: ProviderHooks, jwks: Config['jwks'] = config.jwks): Provider {
  const provider = new Provider(config.issuer, { ...providerConfig(config, hooks), jwks: withInProcessSigning(jwks) as Configuration['jwks'] });
  // Same proxy trust as the parent app: the provider builds its own context to read and write its
  // cookies, and Secure cookies need it to see https from X-Forwarded-Proto behind a TLS proxy.
  provider.proxy = config.trustProxy;
  provider.maxIpsCount = 1;
  queueBackChannelLogouts(provider, hooks.backChannelLogouts);
  // The apps' mistakes in Sesame's words, in the answers the library sends them (oidc/error-explanations.ts).
  provider.use(explainErrorsToApps(provider, errorExplanationSettings(config, hooks.mfaPrompt)));
  return provider;
}
