import { describe, expect, it } from '@jest/globals';
import { createAccounts } from '../../src/accounts/accounts.ts';
import { createMailDelivery } from '../../src/mail/deliver-mail.ts';
import { fixedClients } from '../../src/oidc/client-registry.ts';
import type { MailJob } from '../../src/mail/mail-job.ts';
import type { MailMessage } from '../../src/mail/mail-message.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { testConfig } from '../helpers/test-config.ts';

function setup() {
  const sent: MailMessage[] = [];
  const store = createMemoryStore();
  const config = testConfig({ issuer: 'http://127.0.0.1:9' });
  const deliver = createMailDelivery({
    config,
    clients: fixedClients(config.clients),
    store,
    mailer: { send: async (message: MailMessage) => void sent.push(message), verify: async () => {}, close: async () => {} },
  });
  return { deliver, sent, accounts: createAccounts({ store }) };
}

describe('mail delivery across versions (jobs outlive the process that queued them)', () => {
  it('drops a job of a kind, or a notice of an event, it does not know, instead of sending a garbled mail', async () => {
    const { deliver, sent } = setup();
    const from = (job: Record<string, unknown>) => job as unknown as MailJob;
    expect(await deliver(from({ kind: 'welcome', to: 'a@example.com' }))).toBe('unknown-kind');
    expect(await deliver(from({ kind: 'security-notice', to: 'a@example.com', event: 'passkey-added', at: new Date().toISOString(), device: 'x' }))).toBe('unknown-kind');
    expect(await deliver(from({ kind: 'sign-in', to: 'a@example.com', clientName: 'App', link: 'http://127.0.0.1:9/x', code: '123456' }))).toBe('expired');
    expect(sent).toEqual([]);
    // What it knows still goes out.
    expect(await deliver(from({ kind: 'security-notice', to: 'a@example.com', event: 'totp-added', at: new Date().toISOString(), device: 'Firefox on Linux' }))).toBe('sent');
    expect(sent.map((mail) => mail.to)).toEqual(['a@example.com']);
  });
});

describe('the mail that confirms a change of address', () => {
  const job = (accountId: string, to: string, expiresAt = new Date(Date.now() + 600_000).toISOString()): MailJob => ({ kind: 'email-change', to, accountId, code: '123456', expiresAt });

  it('carries the code to a free address, and to a taken one only a note: the worker decides, off the request path', async () => {
    const { deliver, sent, accounts } = setup();
    const { account: mover } = await accounts.create('mover@example.com', { verified: true });
    await accounts.create('holder@example.com', { verified: true });
    expect(await deliver(job(mover.id, 'free@example.com'))).toBe('sent');
    expect(await deliver(job(mover.id, 'holder@example.com'))).toBe('sent');
    const [free, taken] = sent;
    expect(free).toMatchObject({ to: 'free@example.com', subject: 'Sesame: Confirm your new sign-in address' });
    expect(free!.text).toMatch(/^123456$/m);
    expect(taken).toMatchObject({ to: 'holder@example.com', subject: 'Sesame: This address is already in use' });
    for (const body of [taken!.text, taken!.html]) {
      expect(body).not.toContain('123456');
      expect(body).not.toContain('123 456');
      // Nothing about the account that asked reaches the holder of the address.
      expect(body).not.toContain('mover@example.com');
    }
  });

  it('drops a code that expired while it waited, and one for an account deleted meanwhile', async () => {
    const { deliver, sent, accounts } = setup();
    const { account } = await accounts.create('mover@example.com', { verified: true });
    expect(await deliver(job(account.id, 'late@example.com', new Date(Date.now() - 1).toISOString()))).toBe('expired');
    expect(await deliver(job('deleted-account', 'orphan@example.com'))).toBe('no-account');
    expect(sent).toEqual([]);
  });
});
