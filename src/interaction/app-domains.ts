import type { Translator } from '../i18n/translate.ts';
import type Provider from 'oidc-provider';
import { domainsInWords } from '../accounts/signup-policy.ts';
import { addressAllowedForApp, appEmailDomains } from '../oidc/app-email-domains.ts';
import type { Interaction } from './load-interaction.ts';

// Registrations live in memory (a static clients file): these finds cost no round trip.
const metadataOf = async (provider: Provider, interaction: Interaction) =>
  (await provider.Client.find(String(interaction.params.client_id)))?.metadata();

/** "example.com or example.org" for the email page of an app registered with allowed_email_domains; '' for any other. */
export async function appDomainsText(provider: Provider, interaction: Interaction, translator?: Pick<Translator, 't'>): Promise<string> {
  const domains = appEmailDomains(await metadataOf(provider, interaction));
  return domains ? domainsInWords(domains, translator) : '';
}

export async function addressAllowedForInteraction(provider: Provider, interaction: Interaction, email: string): Promise<boolean> {
  return addressAllowedForApp(await metadataOf(provider, interaction), email);
}
