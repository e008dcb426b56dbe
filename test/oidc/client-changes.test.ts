import { describe, expect, it } from '@jest/globals';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { clientChanges } from '../../src/oidc/client-changes.ts';
import { createClientRegistry, derivedFromClients } from '../../src/oidc/client-registry.ts';
import { MACHINE_CLIENT, SERVER_APP_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';

describe('clientChanges (what a reload of the clients file changed)', () => {
  it('names the apps added, removed and changed, by client id', () => {
    const changedApp: ClientRegistration = { ...TEST_CLIENT, redirect_uris: [...TEST_CLIENT.redirect_uris!, 'http://127.0.0.1:9/other'] };
    expect(clientChanges([TEST_CLIENT, MACHINE_CLIENT], [changedApp, SERVER_APP_CLIENT])).toEqual({ added: ['server-app'], removed: ['machine'], changed: ['test-app'] });
  });

  it('counts any field as a change, a secret or a cutoff too, and nothing else: not the order of entries or keys', () => {
    expect(clientChanges([MACHINE_CLIENT], [{ ...MACHINE_CLIENT, client_secret: `${MACHINE_CLIENT.client_secret}x` }]).changed).toEqual(['machine']);
    expect(clientChanges([TEST_CLIENT], [{ ...TEST_CLIENT, tokens_not_before: '2026-12-02T10:00:00Z' }]).changed).toEqual(['test-app']);
    expect(clientChanges([TEST_CLIENT], [{ ...TEST_CLIENT, rotate_refresh_tokens: undefined }]).changed).toEqual(['test-app']);
    const reordered = Object.fromEntries(Object.entries(TEST_CLIENT).reverse()) as ClientRegistration;
    expect(clientChanges([TEST_CLIENT, MACHINE_CLIENT], [MACHINE_CLIENT, Object.freeze(reordered)])).toEqual({ added: [], removed: [], changed: [] });
  });
});

describe('the client registry', () => {
  const config = { clients: [TEST_CLIENT], issuer: 'http://127.0.0.1:9', appName: 'Sesame', devTools: false };

  it('hands every reader the registrations in force, the account page among all of them', () => {
    const registry = createClientRegistry(config);
    expect(registry.all().map((client) => client.client_id)).toEqual(['test-app', 'sesame-account']);
    registry.replace([MACHINE_CLIENT]);
    expect(registry.fromFile()).toEqual([MACHINE_CLIENT]);
    expect(registry.all().map((client) => client.client_id)).toEqual(['machine', 'sesame-account']);
  });

  it('builds a derived lookup again only after a replacement', () => {
    const registry = createClientRegistry(config);
    let builds = 0;
    const ids = derivedFromClients(registry.fromFile, (clients) => {
      builds++;
      return clients.map((client) => client.client_id);
    });
    expect([ids(), ids()]).toEqual([['test-app'], ['test-app']]);
    expect(builds).toBe(1);
    registry.replace([TEST_CLIENT, MACHINE_CLIENT]);
    expect([ids(), ids()]).toEqual([['test-app', 'machine'], ['test-app', 'machine']]);
    expect(builds).toBe(2);
  });
});
