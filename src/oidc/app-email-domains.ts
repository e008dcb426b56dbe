import { parseMailDomain, ruledMailDomain } from '../auth/email-address.ts';
import type { ClientRegistration } from '../config/config-schema.ts';

/**
 * An app registered with `allowed_email_domains` (an internal tool beside a public one) is only
 * for addresses at those domains. Sign-up (SIGNUP_DOMAINS) decides who gets an account; this
 * decides which accounts an app gets. It is a rule about domains, the same for every address
 * there, so saying it on the email form tells nobody who has an account.
 */
type Metadata = Record<string, unknown> | undefined;

/** The app's domains, or undefined for an app open to every account. */
export function appEmailDomains(metadata: Metadata): readonly string[] | undefined {
  const domains = metadata?.allowed_email_domains;
  return Array.isArray(domains) && domains.length > 0 ? (domains as string[]) : undefined;
}

export function addressAllowedForApp(metadata: Metadata, email: string): boolean {
  const domains = appEmailDomains(metadata);
  return domains === undefined || addressAtDomains(domains, email);
}

/** Whether the address is at one of the domains: one whose mail may be routed elsewhere is at none (auth/email-address.ts). */
function addressAtDomains(domains: readonly string[], email: string): boolean {
  return domains.includes(ruledMailDomain(email) ?? '');
}

/**
 * Whether the app (by client id: tokens, grants, sessions) takes the address: an app without
 * allowed_email_domains, or an unknown client id, takes every address.
 */
export function appTakesAddressByClient(clients: readonly ClientRegistration[]): (clientId: string | undefined, email: string) => boolean {
  const byClient = new Map(clients.flatMap((client) => {
    const domains = appEmailDomains(client);
    return domains ? [[client.client_id, domains] as const] : [];
  }));
  return (clientId, email) => {
    const domains = clientId === undefined ? undefined : byClient.get(clientId);
    return domains === undefined || addressAtDomains(domains, email);
  };
}

/** The registration's problem with `allowed_email_domains`, or undefined when it is well-formed (or absent). */
export function allowedEmailDomainsProblem(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) return `must be a non-empty array of mail domains, like ["example.com"] (got ${JSON.stringify(value)})`;
  for (const entry of value) {
    const domain = typeof entry === 'string' ? parseMailDomain(entry) : undefined;
    if (domain === undefined) return `must list mail domains like "example.com" (got ${JSON.stringify(entry)})`;
    // Compared with addresses as they are stored: say what to write rather than guess.
    if (domain !== entry) return `must list domains in lower case and ASCII, as addresses are stored: write "${domain}" (got ${JSON.stringify(entry)})`;
  }
  return undefined;
}
