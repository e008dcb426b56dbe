import { expect, it } from '@jest/globals';
import { renderSignInEmail } from '../../src/mail/sign-in-email.ts';
import type { SignInMailJob } from '../../src/mail/sign-in-mail-job.ts';
import { VIEWS_DIR } from '../../src/paths.ts';

// The sign-in mail's subject: a device's sign-in (RFC 8628) says so already there; an app's, and a
// job queued by a version that did not tell devices apart (no forDevice), read as they always did.

const job = (extra: Partial<SignInMailJob> = {}): SignInMailJob => ({
  kind: 'sign-in',
  to: 'someone@example.com',
  clientName: 'Living Room TV',
  link: 'https://id.example/interaction/x/link?t=abc',
  code: '123456',
  expiresAt: new Date(Date.now() + 600_000).toISOString(),
  ...extra,
});
const render = (queued: SignInMailJob) => renderSignInEmail({ appName: 'Sesame', viewsDir: VIEWS_DIR, job: queued });

it('a device\'s sign-in: "Connect <app> on your device"', async () => {
  expect((await render(job({ forDevice: true }))).subject).toBe('Connect Living Room TV on your device');
});

it('an app\'s sign-in, and a job queued before the flag existed: "Sign in to <app>", without the device notice', async () => {
  // The JSON an older version queued: no forDevice key at all.
  const older = JSON.parse(JSON.stringify(job())) as SignInMailJob;
  expect(Object.hasOwn(older, 'forDevice')).toBe(false);
  for (const queued of [older, job({ forDevice: false })]) {
    const mail = await render(queued);
    expect(mail.subject).toBe('Sign in to Living Room TV');
    expect(mail.text).not.toContain('for a device or command-line tool');
  }
});
