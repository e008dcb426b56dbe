import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { ACCOUNT_CLIENT_ID } from '../account/account-client.ts';
import { translatorOf } from '../i18n/page-language.ts';
import type { ClientRegistration } from '../config/config-schema.ts';
import { displayText } from '../http/display-text.ts';

/**
 * The app's display name for pages and mail: client_name, else its client_id. It comes from the
 * clients file, so it is treated as text: one line (it also ends up in a mail Subject header) of
 * sane length. Templates escape it like any other value. Sesame's own account page is named in
 * the page's language ("Sign in to your Sesame account", "Bei Ihrem Sesame-Konto anmelden").
 */
export async function clientNameOf(provider: Provider, clientId: unknown, ctx: Pick<Context, 'state'>): Promise<string> {
  if (typeof clientId !== 'string') return 'the app';
  if (clientId === ACCOUNT_CLIENT_ID && typeof ctx.state.appName === 'string') return translatorOf(ctx).t('account.clientName', { appName: ctx.state.appName });
  const client = await provider.Client.find(clientId);
  return clientDisplayName(client?.clientName ?? client?.clientId);
}

export function clientDisplayName(name: string | undefined): string {
  const text = displayText(name ?? '', 80);
  return text === '' ? 'the app' : text;
}

/**
 * Display names of the registered apps, for lists read from storage without the provider (the
 * account page, `user show`). An app removed from the clients file since: its id, which is what
 * the operator knows it by.
 */
export function appNamesOf(clients: readonly ClientRegistration[]): (clientId: string) => string {
  const names = new Map(clients.map((client) => [client.client_id, clientDisplayName(typeof client.client_name === 'string' ? client.client_name : client.client_id)]));
  return (clientId) => names.get(clientId) ?? clientDisplayName(clientId);
}
