import { describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { parseSupportContact } from '../../src/config/support-contact.ts';
import { emailChangeCodeTo, requestEmailChange } from '../helpers/email-change.ts';
import { formFields, HttpBrowser, type Page } from '../helpers/http-browser.ts';
import { accountWithTotp, submitTotp } from '../helpers/second-factor.ts';
import { requestSignInMail, signInWithCode, signInWithCodeAt, type SignInContext } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// SUPPORT_CONTACT: who people ask for help, on every page, on error pages, where a page or a
// security notice sends them to their administrator, and at the end of the other mail. Unset, all
// of it stays as it was.

// The footer's first paragraph: the line that names the contact (the language switch follows it).
const footerOf = (page: Page) => /<footer class="site">\s*(<p>[\s\S]*?<\/p>)/.exec(page.html)?.[1];
const noticeTo = (context: SignInContext, email: string, what: string) => context.smtp.waitForMail(email, { match: (mail) => mail.subject === `Sesame: ${what}` });

/** The sign-in page of a new sign-in at the app. */
async function signInPage({ rp }: SignInContext) {
  return new HttpBrowser().navigate((await rp.startAuthorization()).url);
}

/** The email proven with the code: for an account with an authenticator, its prompt. */
async function proveEmail(context: SignInContext, email: string) {
  const { uid, browser, mail, checkPage, origin } = await requestSignInMail(context, email);
  const page = await browser.navigate(`${origin}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
  return { browser, page };
}

describe('SUPPORT_CONTACT=it-help@example.com', () => {
  const running = useSesame({ config: { support: parseSupportContact('it-help@example.com') } });
  const link = '<a href="mailto:it-help@example.com">it-help@example.com</a>';
  const mailLink = '<a href="mailto:it-help@example.com" style="color:#0b5fff;">it-help@example.com</a>';

  it('every page\'s footer links it', async () => {
    const page = await signInPage(running);
    expect(page.status).toBe(200);
    expect(footerOf(page)).toBe(`<p>Passwordless sign-in by Sesame. Help: ${link}</p>`);
  });

  it('an error page says whom to contact if the problem persists, with its error code', async () => {
    const page = await new HttpBrowser().navigate(`${running.sesame.url}/nowhere`);
    expect(page.status).toBe(404);
    expect(page.html).toContain(`<p>If the problem persists, contact ${link} and give them the error code below.</p>`);
    expect(footerOf(page)).toContain(link);
  });

  it('the page for a request the HTTP parser refused (431: too many cookies, which only the person can clear) names it too', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(running.sesame.url).port), '127.0.0.1', () => socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${'a'.repeat(20_000)}\r\n\r\n`));
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(raw.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(raw).toContain(`<p>If the problem persists, contact ${link} and give them the error code below.</p>`);
  });

  it('the sign-in mail ends with it, in its text and its HTML', async () => {
    const { mail } = await requestSignInMail(running, 'needs-help@example.com');
    expect(mail.text).toContain('nobody can sign in without it.\n\nNeed help? Contact your administrator: it-help@example.com');
    expect(mail.html).toContain(`Need help? Contact your administrator: ${mailLink}</p>`);
  });

  it('the authenticator prompt names it where it sends people to the administrator, and so does a security notice', async () => {
    const { recoveryCodes } = await accountWithTotp(running.sesame, 'lost-phone@example.com');
    const { browser, page } = await proveEmail(running, 'lost-phone@example.com');
    expect(page.html).toContain(`No recovery codes either? Ask the administrator of Sesame (${link}) to reset your second step.`);
    const locked = await browser.navigate(`${page.url}?error=locked`);
    expect(locked.html).toContain('Try again tomorrow, or ask the administrator (it-help@example.com) to unlock it.');
    const unavailable = await browser.navigate(`${page.url}?error=unavailable`);
    expect(unavailable.html).toContain('Use one of your recovery codes below, or ask the administrator of this service (it-help@example.com).');

    await submitTotp(browser, page, { recovery_code: recoveryCodes[0]! });
    const notice = await noticeTo(running, 'lost-phone@example.com', 'A recovery code was used to sign in to your account');
    expect(notice.text).toContain('and tell your administrator (it-help@example.com).\n\nSesame');
    expect(notice.html).toContain(`and tell your administrator (${mailLink}).</p>`);
    expect(notice.html).not.toContain('Need help?');
  });

  it('setting up an authenticator that someone else started again names it', async () => {
    const { browser } = await signInWithCodeAt(running, `${running.sesame.url}/account`, 'set-up-twice@example.com');
    const page = await browser.navigate(`${running.sesame.url}/account/totp/enroll?error=replaced`);
    expect(page.html).toContain('If that was not you, someone else can sign in as you: tell your administrator (it-help@example.com).');
  });

  it('the mail confirming a new address ends with it, in its text and its HTML', async () => {
    const { browser } = await signInWithCode(running, 'moving@example.com');
    await requestEmailChange(running.sesame.url, browser, 'moved@example.com');
    const mail = await emailChangeCodeTo(running.smtp, 'moved@example.com');
    expect(mail.text).toContain('without the code nothing changes.\n\nNeed help? Contact your administrator: it-help@example.com\n\nSesame');
    expect(mail.html).toContain(`Need help? Contact your administrator: ${mailLink}</p>`);
  });
});

describe('SUPPORT_CONTACT=https://help.example.com/it, with SIGNUP=closed', () => {
  const running = useSesame({ config: { signup: 'closed', support: parseSupportContact('https://help.example.com/it') } });
  const link = '<a href="https://help.example.com/it">help.example.com/it</a>';

  it('a URL shows as its host and path, and links in full', async () => {
    expect(footerOf(await signInPage(running))).toBe(`<p>Passwordless sign-in by Sesame. Help: ${link}</p>`);
  });

  it('an address without an account is refused with the contact named in the sentence and linked below it', async () => {
    // With closed sign-up only an account's address gets a code: it is removed before the code is typed.
    await running.sesame.accounts.create('uninvited@example.com', { verified: true });
    const { uid, browser, mail, checkPage, origin } = await requestSignInMail(running, 'uninvited@example.com');
    await running.sesame.accounts.remove('uninvited@example.com');
    const refused = await browser.navigate(`${origin}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('This service only lets in people who have been invited. Ask its administrator (help.example.com/it) for access.');
    expect(refused.html).toContain(`<p>If the problem persists, contact ${link} and give them the error code below.</p>`);
  });

  it('a deleted account\'s page says whom to ask for a new one, and the notice gives the whole URL in its text', async () => {
    const email = 'leaving@example.com';
    await running.sesame.accounts.create(email, { verified: true });
    const { browser } = await signInWithCode(running, email);
    const confirm = await browser.navigate(`${running.sesame.url}/account/delete`);
    const deleted = await browser.navigate(`${running.sesame.url}/account/delete`, { form: { ...formFields(confirm.html, '/account/delete'), email } });
    expect(deleted.url).toBe(`${running.sesame.url}/account/deleted`);
    expect(deleted.html).toContain(`To use Sesame again, ask your administrator (${link}) for a new account.`);

    const notice = await noticeTo(running, email, 'Your account was deleted');
    expect(notice.text).toContain('(change its password, check its forwarding rules), and tell your administrator (https://help.example.com/it).\n');
    expect(notice.html).toContain('and tell your administrator (<a href="https://help.example.com/it" style="color:#0b5fff;">help.example.com/it</a>).</p>');
  });
});

describe('SUPPORT_CONTACT unset', () => {
  const running = useSesame();

  it('pages, error pages, the authenticator prompt and mail name no contact, as before', async () => {
    expect(footerOf(await signInPage(running))).toBe('<p>Passwordless sign-in by Sesame.</p>');
    const error = await new HttpBrowser().navigate(`${running.sesame.url}/nowhere`);
    expect(error.status).toBe(404);
    expect(error.html).not.toContain('If the problem persists');
    expect(footerOf(error)).toBe('<p>Passwordless sign-in by Sesame.</p>');

    await accountWithTotp(running.sesame, 'no-contact@example.com');
    const { browser, page } = await proveEmail(running, 'no-contact@example.com');
    expect(page.html).toContain('No recovery codes either? Ask the administrator of Sesame to reset your second step.');
    expect((await browser.navigate(`${page.url}?error=locked`)).html).toContain('Try again tomorrow, or ask the administrator to unlock it.');

    const { mail } = await requestSignInMail(running, 'no-contact-mail@example.com');
    expect(mail.text).not.toContain('Need help?');
    expect(mail.html).not.toContain('Need help?');
    expect(mail.html).not.toContain('mailto:');
  });
});
