import { describe, expect, it } from '@jest/globals';
import { createMailDelivery } from '../../src/mail/deliver-mail.ts';
import type { MailJob } from '../../src/mail/mail-job.ts';
import type { MailMessage } from '../../src/mail/mail-message.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { testConfig } from '../helpers/test-config.ts';

function setup() {
  const sent: MailMessage[] = [];
  const deliver = createMailDelivery({
    config: testConfig({ issuer: 'http://127.0.0.1:9' }),
    store: createMemoryStore(),
    mailer: { send: async (message: MailMessage) => void sent.push(message), verify: async () => {}, close: async () => {} },
  });
  return { deliver, sent };
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
