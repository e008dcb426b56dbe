import { describe, expect, it } from '@jest/globals';
import { renderSecurityNotice } from '../../src/mail/security-notice-email.ts';
import type { SecurityEvent } from '../../src/mail/security-notice-job.ts';
import { VIEWS_DIR } from '../../src/paths.ts';

const render = (event: SecurityEvent, device: string) =>
  renderSecurityNotice({ appName: 'Sesame', accountUrl: 'https://id.example/account', viewsDir: VIEWS_DIR, job: { kind: 'security-notice', to: 'holder@example.com', event, at: '2026-12-01T08:30:12.000Z', device } });

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
});
