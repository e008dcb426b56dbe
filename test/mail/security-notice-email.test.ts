import { describe, expect, it } from '@jest/globals';
import { parseSupportContact, type SupportContact } from '../../src/config/support-contact.ts';
import { renderSecurityNotice } from '../../src/mail/security-notice-email.ts';
import type { SecurityEvent } from '../../src/mail/security-notice-job.ts';
import { VIEWS_DIR } from '../../src/paths.ts';

const render = (event: SecurityEvent, device: string, otherAddress?: string, support?: SupportContact) =>
  renderSecurityNotice({ appName: 'Sesame', support, accountUrl: 'https://id.example/account', viewsDir: VIEWS_DIR, job: { kind: 'security-notice', to: 'holder@example.com', event, at: '2026-12-01T08:30:12.000Z', device, ...(otherAddress ? { otherAddress } : {}) } });

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

/**
 * Where each notice tells the holder to turn to their administrator, with `{}` where the contact
 * goes. A Record, so that a new event fails to compile until its sentence is listed here.
 */
const TELL_THE_ADMINISTRATOR: Record<SecurityEvent, string> = {
  'totp-added': 'and tell your administrator{}.',
  'totp-removed': 'and tell your administrator{}.',
  'recovery-codes-renewed': 'and tell your administrator{}.',
  'recovery-code-used': 'and tell your administrator{}.',
  'email-now-sign-in-address': 'and tell your administrator{}.',
  'account-deleted': 'and tell your administrator{}.',
  'second-factor-reset': 'If you did not, tell your administrator{} at once: until you set one up again',
  'email-changed-by-administrator': 'If you did not, tell your administrator{} at once.',
  'email-now-sign-in-address-by-administrator': 'If you did not, tell your administrator{} at once.',
  'account-deleted-by-administrator': 'If you did not, tell your administrator{} at once.',
  'signed-out-everywhere-by-administrator': 'If you did not, tell your administrator{} at once.',
  'email-changed': 'Tell your administrator{} at once, and secure your',
};
const EVENTS = Object.keys(TELL_THE_ADMINISTRATOR) as SecurityEvent[];
const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe('SUPPORT_CONTACT in security notices', () => {
  const address = parseSupportContact('it-help@example.com');

  it.each(EVENTS)('%s: the sentence that says to tell the administrator names it, in the HTML as a link and in the text as the address', async (event) => {
    const mail = await render(event, 'Firefox on Linux', 'other@example.org', address);
    expect(mail.html).toContain(TELL_THE_ADMINISTRATOR[event].replace('{}', ' (<a href="mailto:it-help@example.com" style="color:#0b5fff;">it-help@example.com</a>)'));
    expect(mail.text).toContain(TELL_THE_ADMINISTRATOR[event].replace('{}', ' (it-help@example.com)'));
    // Once: the notice has no closing "Need help?" line on top of that sentence.
    expect(occurrences(mail.html, 'it-help@example.com</a>')).toBe(1);
    expect(occurrences(mail.text, 'it-help@example.com')).toBe(1);
    expect(mail.html).not.toContain('Need help?');
    expect(mail.text).not.toContain('Need help?');
  });

  it.each(EVENTS)('%s: unset, the sentence reads as before and nothing names a contact', async (event) => {
    const mail = await render(event, 'Firefox on Linux', 'other@example.org');
    expect(mail.html).toContain(TELL_THE_ADMINISTRATOR[event].replace('{}', ''));
    expect(mail.text).toContain(TELL_THE_ADMINISTRATOR[event].replace('{}', ''));
    for (const body of [mail.html, mail.text]) {
      expect(body).not.toContain('administrator (');
      expect(body).not.toContain('Need help?');
    }
  });

  it('a URL links in full in the HTML, escaped there, and shows whole and unescaped in the text', async () => {
    const mail = await render('second-factor-reset', 'your administrator, from the command line', undefined, parseSupportContact('https://help.example.com/it?topic=mail&lang=en'));
    expect(mail.html).toContain('If you did not, tell your administrator (<a href="https://help.example.com/it?topic=mail&amp;lang=en" style="color:#0b5fff;">help.example.com/it</a>) at once:');
    expect(mail.text).toContain('If you did not, tell your administrator (https://help.example.com/it?topic=mail&lang=en) at once:');
    expect(mail.text).not.toContain('&amp;');
    expect(mail.text).not.toContain('<a ');
  });

  it('the HTML escapes the contact even though start-up lets no markup through', async () => {
    const forged: SupportContact = { href: 'https://help.example.com/?a="b"', label: '<b>Help & Co</b>', plainText: '<b>Help & Co</b>' };
    const mail = await render('totp-removed', 'Firefox on Linux', undefined, forged);
    expect(mail.html).toContain('and tell your administrator (<a href="https://help.example.com/?a=&#34;b&#34;" style="color:#0b5fff;">&lt;b&gt;Help &amp; Co&lt;/b&gt;</a>).');
    expect(mail.html).not.toContain('<b>');
    // The text part is not HTML: the contact stays as written.
    expect(mail.text).toContain('and tell your administrator (<b>Help & Co</b>).');
  });
});
