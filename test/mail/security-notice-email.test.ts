import { describe, expect, it } from '@jest/globals';
import { renderSecurityNotice } from '../../src/mail/security-notice-email.ts';
import type { SecurityEvent } from '../../src/mail/security-notice-job.ts';
import { VIEWS_DIR } from '../../src/paths.ts';

const render = (event: SecurityEvent, device: string, otherAddress?: string) =>
  renderSecurityNotice({ appName: 'Sesame', accountUrl: 'https://id.example/account', viewsDir: VIEWS_DIR, job: { kind: 'security-notice', to: 'holder@example.com', event, at: '2026-12-01T08:30:12.000Z', device, ...(otherAddress ? { otherAddress } : {}) } });

describe('security notices', () => {
  it('a change made in a browser names the browser and tells the holder what to do if it was not them', async () => {
    const mail = await render('totp-removed', 'Firefox on Linux');
    expect(mail.subject).toBe('Sesame: The authenticator app was removed from your account');
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain('Firefox on Linux');
      expect(body).toContain('2026-12-01 08:30 UTC');
      expect(body).toContain('they have been able to read your email');
      expect(body).not.toContain('tell your administrator at once');
    }
  });

  it('a reset by the administrator says who did it, and does not blame the mailbox', async () => {
    const mail = await render('second-factor-reset', 'your administrator, from the command line');
    expect(mail.subject).toBe('Sesame: Your administrator removed the authenticator app from your account');
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain('your administrator, from the command line');
      expect(body).toContain('signed you out everywhere');
      expect(body).toContain('tell your administrator at once');
      expect(body).toContain('https://id.example/account');
      expect(body).not.toContain('they have been able to read your email');
    }
  });

  it('a change of address tells the old mailbox where the account went, and that this address no longer opens it', async () => {
    const mail = await render('email-changed', 'Safari on macOS', 'new-home@example.org');
    expect(mail.subject).toBe('Sesame: Your account now signs in with another address');
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain('new-home@example.org');
      expect(body).toContain('Safari on macOS');
      expect(body).toContain('Tell your administrator at once');
      // It cannot check its account any more: no link that would ask it to sign in.
      expect(body).not.toContain('https://id.example/account');
    }
  });

  it('and tells the new mailbox that it signs in now, instead of the old one', async () => {
    const mail = await render('email-now-sign-in-address', 'Safari on macOS', 'old-home@example.com');
    expect(mail.subject).toBe('Sesame: This is now the address your account signs in with');
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain('instead of old-home@example.com');
      expect(body).toContain('https://id.example/account');
    }
  });
});
