import type Provider from 'oidc-provider';

/**
 * The app's display name for pages and mail: client_name, else its client_id. It comes from the
 * clients file, so it is treated as text: control characters and line breaks are folded into
 * spaces (it also ends up in a mail Subject header) and it is cut to a sane length. Templates
 * escape it like any other value.
 */
export async function clientNameOf(provider: Provider, clientId: unknown): Promise<string> {
  if (typeof clientId !== 'string') return 'the app';
  const client = await provider.Client.find(clientId);
  const name = displayText(client?.clientName ?? client?.clientId ?? '', 80);
  return name === '' ? 'the app' : name;
}

/** One line of plain text: no control or format characters, collapsed whitespace, at most `maxLength` characters. */
export function displayText(value: string, maxLength: number): string {
  // eslint-disable-next-line no-control-regex
  const oneLine = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]+/g, ' ').replace(/\s+/g, ' ').trim();
  return [...oneLine].slice(0, maxLength).join('');
}
