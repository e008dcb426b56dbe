import { describe, expect, it } from '@jest/globals';
import { parseSupportContact } from '../../src/config/support-contact.ts';
import { renderEmailChangeEmail } from '../../src/mail/email-change-email.ts';
import type { EmailChangeMailJob } from '../../src/mail/email-change-mail-job.ts';
import { renderSecurityNotice } from '../../src/mail/security-notice-email.ts';
import { ADMINISTRATOR_DEVICE, type SecurityNoticeJob } from '../../src/mail/security-notice-job.ts';
import { VIEWS_DIR } from '../../src/paths.ts';

// The mail no sign-in precedes, in the language of the job: the account's, or the page's that asked.
// A job queued by a release before languages carries none, and one read back from the queue may
// carry anything: both are written in English, never an error.

const notice = (job: Omit<Partial<SecurityNoticeJob>, 'locale'> & { locale?: unknown }) =>
  renderSecurityNotice({ appName: 'Sesame', support: parseSupportContact('it@example.com'), accountUrl: 'https://id.example/account', viewsDir: VIEWS_DIR, job: { kind: 'security-notice', to: 'holder@example.com', event: 'signed-out-everywhere-by-administrator', at: '2026-12-01T08:30:12.000Z', device: ADMINISTRATOR_DEVICE, ...job } as unknown as SecurityNoticeJob });
const codeMail = (job: Partial<EmailChangeMailJob>, addressTaken = false) =>
  renderEmailChangeEmail({ appName: 'Sesame', accountUrl: 'https://id.example/account', viewsDir: VIEWS_DIR, addressTaken, job: { kind: 'email-change', to: 'new@example.com', accountId: 'account-1', code: '123456', expiresAt: new Date(Date.now() + 10 * 60_000).toISOString(), ...job } as EmailChangeMailJob });

describe('security notices', () => {
  it('speak German: subject, sentence, who did it, advice and the contact, with lang on the HTML', async () => {
    const mail = await notice({ locale: 'de' });
    expect(mail.subject).toBe('Sesame: Ihr Administrator hat Sie überall abgemeldet');
    expect(mail.html).toContain('<html lang="de">');
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain('Ihr Administrator hat Sie überall abgemeldet: Kein Browser und keine App ist mehr als Sie angemeldet');
      expect(body).toContain('Von: Ihr Administrator, über die Kommandozeile');
      expect(body).toContain('Wann: 2026-12-01 08:30 UTC');
      expect(body).toContain('Wenn Sie darum gebeten haben, ist nichts zu tun.');
      expect(body).not.toMatch(/administrator|Your /);
    }
    expect(mail.text).toContain('Wenn nicht, sagen Sie es sofort Ihrem Administrator (it@example.com).');
  });

  it('speak French, and name the new address of a moved account in the sentence', async () => {
    const mail = await notice({ locale: 'fr', event: 'email-changed', device: 'Firefox on Windows', otherAddress: 'ailleurs@example.org' });
    expect(mail.subject).toBe('Sesame: Votre compte se connecte désormais avec une autre adresse');
    expect(mail.text).toContain('Votre compte a été déplacé vers une autre adresse e-mail, ailleurs@example.org : cette adresse ne vous y connecte plus.');
    expect(mail.text).toContain('Depuis : Firefox sous Windows');
    // Plain text has straight apostrophes, as every plain-text mail here.
    expect(mail.text).toContain("Si c'était vous, il n'y a rien à faire.");
    expect(mail.html).toContain('Si c’était vous, il n’y a rien à faire.');
  });

  it.each([
    ['a job queued before languages (no locale)', {}],
    ['a locale that is no language of Sesame', { locale: 'xx' }],
    ['a locale that is not a string', { locale: { de: true } }],
  ])('%s: English, as before', async (_, extra) => {
    const mail = await notice(extra);
    expect(mail.subject).toBe('Sesame: Your administrator signed you out everywhere');
    expect(mail.html).toContain('<html lang="en">');
    expect(mail.text).toContain('From: your administrator, from the command line');
    expect(mail.text).toContain('If you did not, tell your administrator (it@example.com) at once.');
  });
});

describe('the change-of-address mail', () => {
  it('speaks the language of the page that asked, the code and its minutes included', async () => {
    const mail = await codeMail({ locale: 'de' });
    expect(mail.subject).toBe('Sesame: Bestätigen Sie Ihre neue Anmeldeadresse');
    expect(mail.text).toContain('Geben Sie zur Bestätigung diesen Code auf der Kontoseite ein:\n123456');
    expect(mail.text).toMatch(/Der Code gilt einmal, 10 Minuten lang \(bis \d{4}-\d\d-\d\d \d\d:\d\d UTC\)\./);
    const taken = await codeMail({ locale: 'fr' }, true);
    expect(taken.subject).toBe('Sesame: Cette adresse est déjà utilisée');
    expect(taken.html).toContain('<a href="https://id.example/account" style="color:#0b5fff;">votre page de compte</a>');
    expect(taken.text).toContain('supprimez d’abord ce compte sur https://id.example/account'.replaceAll('’', "'"));
  });

  it('a job queued before languages: English, as before', async () => {
    const mail = await codeMail({});
    expect(mail.subject).toBe('Sesame: Confirm your new sign-in address');
    expect(mail.text).toContain('To confirm it, enter this code on the account page:\n123456');
    expect(mail.text).toContain("Didn't ask for this? Ignore this email: without the code nothing changes.");
  });
});
