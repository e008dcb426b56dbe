import { isDeepStrictEqual } from 'node:util';
import type { ClientRegistration } from '../config/config-schema.ts';

/** What a reload of the clients file changed, by client id: for the log and the audit line, never the registrations themselves (they hold secrets). */
export interface ClientChanges {
  added: string[];
  removed: string[];
  /** Registered before and after, with any field different (a new secret, redirect URI, cutoff...). */
  changed: string[];
}

export function clientChanges(before: readonly ClientRegistration[], after: readonly ClientRegistration[]): ClientChanges {
  const old = new Map(before.map((client) => [client.client_id, client]));
  const now = new Map(after.map((client) => [client.client_id, client]));
  return {
    added: [...now.keys()].filter((id) => !old.has(id)),
    removed: [...old.keys()].filter((id) => !now.has(id)),
    changed: [...now].filter(([id, client]) => old.has(id) && !isDeepStrictEqual(old.get(id), client)).map(([id]) => id),
  };
}

export const nothingChanged = ({ added, removed, changed }: ClientChanges) => added.length + removed.length + changed.length === 0;
