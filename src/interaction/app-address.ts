import type { NextStep } from '../http/next-step.ts';
import { clientDisplayName } from './client-name.ts';

/** What an app's registration says about where it lives (oidc-provider's Client). */
interface RegisteredApp {
  clientName?: string | undefined;
  clientId: string;
  clientUri?: string | undefined;
  initiateLoginUri?: string | undefined;
}

/**
 * "Back to <app>", for pages that end something of an app's: only to an address from the app's
 * registration, never to one read from a request (no open redirect). Its home page (client_uri),
 * or else, unless `homeOnly`, where it starts a sign-in (initiate_login_uri). After a sign-out it
 * must be the home page: an app's sign-in page would sign the person straight back in.
 * oidc-provider accepts only http(s) addresses there; checked again, since it ends up in an href.
 */
export function backToApp(client: RegisteredApp | undefined, { homeOnly = false }: { homeOnly?: boolean } = {}): NextStep | undefined {
  if (!client) return undefined;
  const href = [client.clientUri, homeOnly ? undefined : client.initiateLoginUri].find(isWebAddress);
  return href ? { href, label: { key: 'next.backToApp', params: { clientName: clientDisplayName(client.clientName ?? client.clientId) } } } : undefined;
}

function isWebAddress(uri: string | undefined): uri is string {
  const protocol = uri === undefined ? undefined : URL.parse(uri)?.protocol;
  return protocol === 'https:' || protocol === 'http:';
}
