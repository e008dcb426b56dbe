import { ConfigError, type ClientRegistration } from '../config/config-schema.ts';
import type { Logger } from '../logger.ts';
import type { AuditLog } from '../observability/audit-log.ts';
import type { Metrics } from '../observability/metrics.ts';
import { clientChanges } from './client-changes.ts';
import type { ClientRegistry } from './client-registry.ts';

export type ClientsReloadResult = 'ok' | 'failed';

export interface ClientsReloadDeps {
  registry: ClientRegistry;
  /** Reads and checks the clients file as start-up does (config/load-config.ts loadClients); throws a ConfigError. */
  read: () => readonly ClientRegistration[];
  /** Checks what only the running process can (the provider's view of each registration) and puts them in force; throws a ConfigError. */
  apply: (clients: readonly ClientRegistration[]) => Promise<void> | void;
  logger: Logger;
  audit: AuditLog;
  metrics: Metrics;
}

/**
 * The clients file read again on the operator's signal (SIGHUP, src/main.ts), as nginx reloads
 * its configuration: valid, its registrations serve every request from then on; not, the ones in
 * force go on serving and the log says why in start-up's words. Never exits: a typo in the file
 * must not take down a running Sesame. A signal that arrives during a reload is served by one
 * more reload after it, which reads the file as it is then.
 */
export function createClientsReload({ registry, read, apply, logger, audit, metrics }: ClientsReloadDeps): () => Promise<ClientsReloadResult> {
  let running: Promise<ClientsReloadResult> | undefined;
  let queued: Promise<ClientsReloadResult> | undefined;

  async function reloadOnce(): Promise<ClientsReloadResult> {
    const before = registry.fromFile();
    try {
      const clients = read();
      await apply(clients);
      const changes = clientChanges(before, clients);
      metrics.clientsReloads.inc({ result: 'ok' });
      metrics.startSeriesAtZero({ backChannelClientIds: clients.filter((client) => typeof client.backchannel_logout_uri === 'string').map((client) => client.client_id) });
      audit.record({ event: 'clients.reloaded', ...changes });
      logger.info({ ...changes, clients: clients.length }, `clients file reloaded: ${describe(changes)}`);
      return 'ok';
    } catch (error) {
      metrics.clientsReloads.inc({ result: 'failed' });
      const problems = error instanceof ConfigError ? error.problems : [error instanceof Error ? error.message : String(error)];
      logger.error({ problems }, `clients file not reloaded, the registrations in force go on serving: ${problems.join('; ')}`);
      return 'failed';
    }
  }

  return function reloadClients(): Promise<ClientsReloadResult> {
    if (!running) {
      running = reloadOnce().finally(() => (running = undefined));
      return running;
    }
    // One reload after the one running covers every signal that came during it.
    queued ??= running.then((): Promise<ClientsReloadResult> => {
      queued = undefined;
      return reloadClients();
    });
    return queued;
  };
}

function describe({ added, removed, changed }: ReturnType<typeof clientChanges>): string {
  const parts = [['added', added], ['removed', removed], ['changed', changed]].flatMap(([what, ids]) => (ids!.length > 0 ? [`${what} ${(ids as string[]).join(', ')}`] : []));
  return parts.length > 0 ? parts.join('; ') : 'no change';
}
