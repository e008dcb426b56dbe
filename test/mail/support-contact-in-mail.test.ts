import { describe, expect, it } from '@jest/globals';
import { parseSupportContact, type SupportContact } from '../../src/config/support-contact.ts';
import { renderEmailChangeEmail } from '../../src/mail/email-change-email.ts';
import { renderSignInEmail } from '../../src/mail/sign-in-email.ts';
import { VIEWS_DIR } from '../../src/paths.ts';

// Where the sign-in and change-of-address mail name SUPPORT_CONTACT. A part names it once: in the
// sentence that sends the reader to the administrator if it has one, else in a closing line.

const expiresAt = () => new Date(Date.now() + 600_000).toISOString();
const signInMail = (codesOff: boolean, support?: SupportContact) =>
  renderSignInEmail({ appName: 'Sesame', support, viewsDir: VIEWS_DIR, codesOff, job: { kind: 'sign-in', to: 'someone@example.com', clientName: 'Demo', link: 'https://id.example/interaction/x/link?t=abc', code: codesOff ? '' : '123456', expiresAt: expiresAt() } });
const occurrences = (text: string, part: string) => text.split(part).length - 1;

const address = parseSupportContact('it-help@example.com');
const mailLink = '<a href="mailto:it-help@example.com" style="color:#0b5fff;">it-help@example.com</a>';
const closingLine = { text: '\n\nNeed help? Contact your administrator: it-help@example.com\n', html: `Need help? Contact your administrator: ${mailLink}</p>` };

describe('SUPPORT_CONTACT in the sign-in mail whose codes are switched off', () => {
  it('the text names it where it says the administrator can switch codes back on, and has no closing line as well', async () => {
    const mail = await signInMail(true, address);
    expect(mail.text).toContain('as you; they cannot without this email. The administrator (it-help@example.com) can switch codes back on sooner.\n');
    expect(occurrences(mail.text, 'it-help@example.com')).toBe(1);
    expect(mail.text).not.toContain('Need help?');
  });

  it('the HTML, which has no such sentence, keeps the closing line', async () => {
    const mail = await signInMail(true, address);
    expect(mail.html).toContain(closingLine.html);
    expect(occurrences(mail.html, 'it-help@example.com</a>')).toBe(1);
  });

  it('a URL shows whole and unescaped in the text', async () => {
    const mail = await signInMail(true, parseSupportContact('https://help.example.com/it?topic=mail&lang=en'));
    expect(mail.text).toContain('The administrator (https://help.example.com/it?topic=mail&lang=en) can switch codes back on sooner.');
    expect(mail.text).not.toContain('&amp;');
    expect(mail.html).toContain('<a href="https://help.example.com/it?topic=mail&amp;lang=en" style="color:#0b5fff;">help.example.com/it</a></p>');
  });

  it('unset, the sentence reads as before and nothing names a contact', async () => {
    const mail = await signInMail(true);
    expect(mail.text).toContain('as you; they cannot without this email. The administrator can switch codes back on sooner.\n');
    for (const body of [mail.text, mail.html]) {
      expect(body).not.toContain('administrator (');
      expect(body).not.toContain('Need help?');
    }
  });
});

describe('SUPPORT_CONTACT in mail that sends nobody to the administrator', () => {
  it('the sign-in mail with a code ends with it, once, in its text and its HTML', async () => {
    const mail = await signInMail(false, address);
    expect(mail.text).toContain(`nobody can sign in without it.${closingLine.text}`);
    expect(mail.html).toContain(closingLine.html);
    expect(occurrences(mail.text, 'it-help@example.com')).toBe(1);
    expect(occurrences(mail.html, 'it-help@example.com</a>')).toBe(1);
  });

  it.each([false, true])('the change-of-address mail (address taken: %s) ends with it, once, in its text and its HTML', async (addressTaken) => {
    const mail = await renderEmailChangeEmail({ appName: 'Sesame', support: address, accountUrl: 'https://id.example/account', viewsDir: VIEWS_DIR, addressTaken, job: { kind: 'email-change', to: 'new@example.com', accountId: 'account-1', code: '123456', expiresAt: expiresAt() } });
    expect(mail.text).toContain(`${closingLine.text}\nSesame`);
    expect(mail.html).toContain(closingLine.html);
    expect(occurrences(mail.text, 'it-help@example.com')).toBe(1);
    expect(occurrences(mail.html, 'it-help@example.com</a>')).toBe(1);
  });
});
