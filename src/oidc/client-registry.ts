import type { ClientRegistration, Config } from '../config/config-schema.ts';
import { registeredClients } from './registered-clients.ts';

/**
 * Reads the registrations in force now. A reload (SIGHUP, oidc/reload-clients.ts) replaces them,
 * so a reader calls this at each use and keeps no copy of its own.
 */
export type CurrentClients = () => readonly ClientRegistration[];

/**
 * The one source of truth for "the registrations now" in a process: the clients file as last
 * loaded, and every app the provider knows (with the account page, and the demo app in development).
 */
export interface ClientRegistry {
  /** The clients file's apps. */
  fromFile: CurrentClients;
  /** The clients file's apps, the account page and in development the demo app (registered-clients.ts). */
  all: CurrentClients;
  /** Puts `clients` (already checked) in force for every reader's next use. */
  replace(clients: readonly ClientRegistration[]): void;
}

export function createClientRegistry(config: Pick<Config, 'clients' | 'issuer' | 'appName' | 'devTools'>): ClientRegistry {
  let fromFile: readonly ClientRegistration[] = config.clients;
  let all: readonly ClientRegistration[] = registeredClients(config);
  return {
    fromFile: () => fromFile,
    all: () => all,
    replace(clients) {
      fromFile = clients;
      all = registeredClients({ ...config, clients: clients as ClientRegistration[] });
    },
  };
}

/** Registrations that never change: the command line's, which lives for one command, and tests'. */
export const fixedClients = (clients: readonly ClientRegistration[]): CurrentClients => () => clients;

/**
 * A lookup built from the registrations (names by client id, cutoffs, domains), built again only
 * when they were replaced: on a request's path it costs one comparison, not a rebuild.
 */
export function derivedFromClients<T>(clients: CurrentClients, build: (clients: readonly ClientRegistration[]) => T): () => T {
  let builtFrom: readonly ClientRegistration[] | undefined;
  let value: T;
  return () => {
    const now = clients();
    if (now !== builtFrom) {
      value = build(now);
      builtFrom = now;
    }
    return value;
  };
}
