import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { ConfigError, type ClientRegistration } from '../../src/config/config-schema.ts';
import { createLogger } from '../../src/logger.ts';
import { createAuditLog } from '../../src/observability/audit-log.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createClientRegistry } from '../../src/oidc/client-registry.ts';
import { createClientsReload } from '../../src/oidc/reload-clients.ts';
import { MACHINE_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';

function setup(read: () => readonly ClientRegistration[], apply?: (clients: readonly ClientRegistration[]) => Promise<void>) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ level: 'info', destination });
  const registry = createClientRegistry({ clients: [TEST_CLIENT], issuer: 'http://127.0.0.1:9', appName: 'Sesame', devTools: false });
  const metrics = createMetrics();
  const reload = createClientsReload({ registry, read, apply: apply ?? registry.replace, logger, audit: createAuditLog({ logger, hmacKey: 'k'.repeat(32) }).withOrigin({ via: 'signal', signal: 'SIGHUP' }), metrics });
  const count = async (result: string) => Number(new RegExp(`^sesame_clients_reloads_total\\{result="${result}"\\} (\\d+)$`, 'm').exec((await metrics.render()).body)?.[1]);
  return { reload, registry, lines, count };
}

describe('reloading the clients file', () => {
  it('a file that fails a check: the registrations in force stay, the error names the problems, the failure is counted', async () => {
    const { reload, registry, lines, count } = setup(() => {
      throw new ConfigError(['CLIENTS_FILE[0].client_secret: must be a string of at least 32 characters']);
    });
    expect(await count('failed')).toBe(0);
    expect(await reload()).toBe('failed');
    expect(registry.fromFile()).toEqual([TEST_CLIENT]);
    expect(lines).toEqual([expect.objectContaining({ level: 50, problems: ['CLIENTS_FILE[0].client_secret: must be a string of at least 32 characters'] })]);
    expect(await count('failed')).toBe(1);
    expect(await count('ok')).toBe(0);
  });

  it('the provider refusing one (apply throws): nothing is replaced either', async () => {
    const { reload, registry, count } = setup(() => [MACHINE_CLIENT], async () => {
      throw new ConfigError(['CLIENTS_FILE[0] (machine): refused']);
    });
    expect(await reload()).toBe('failed');
    expect(registry.fromFile()).toEqual([TEST_CLIENT]);
    expect(await count('failed')).toBe(1);
  });

  it('a valid file: in force, one info line and one audit line naming the changes, counted', async () => {
    const { reload, registry, lines, count } = setup(() => [MACHINE_CLIENT]);
    expect(await reload()).toBe('ok');
    expect(registry.fromFile()).toEqual([MACHINE_CLIENT]);
    expect(lines).toEqual([
      expect.objectContaining({ audit: true, event: 'clients.reloaded', added: ['machine'], removed: ['test-app'], changed: [], via: 'signal', signal: 'SIGHUP' }),
      expect.objectContaining({ level: 30, msg: 'clients file reloaded: added machine; removed test-app', added: ['machine'], removed: ['test-app'], changed: [] }),
    ]);
    expect(await count('ok')).toBe(1);
  });

  it('signals during a reload are served by one more reload after it, never two at once', async () => {
    let reads = 0;
    let running = 0;
    let most = 0;
    const { reload } = setup(() => {
      reads++;
      return [TEST_CLIENT];
    }, async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running--;
    });
    expect(await Promise.all([reload(), reload(), reload(), reload()])).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(reads).toBe(2);
    expect(most).toBe(1);
  });
});
