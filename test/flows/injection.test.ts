import { describe, expect, it } from '@jest/globals';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { reachConsentPage, requestSignInMail } from '../helpers/sign-in.ts';
import { FIRST_PARTY_CLIENT, MACHINE_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// The clients file is the operator's, but a careless or compromised entry must not turn into
// markup or mail headers: client_name is text wherever it appears.
const HOSTILE_NAME = 'Evil <img src=x onerror=alert(1)> "quoted" & \'single\'\r\nBcc: harvest@evil.example\u202e';
const HOSTILE_CLIENT: ClientRegistration = {
  ...TEST_CLIENT,
  client_id: 'hostile-app',
  client_secret: 'hostile-app-secret-0123456789abcdef012345',
  client_name: HOSTILE_NAME,
  redirect_uris: ['http://127.0.0.1:9/hostile-callback'],
  post_logout_redirect_uris: ['http://127.0.0.1:9/hostile-signed-out'],
};

const running = useSesame({ config: { clients: [TEST_CLIENT, FIRST_PARTY_CLIENT, MACHINE_CLIENT, HOSTILE_CLIENT] }, client: HOSTILE_CLIENT });

/** Markup that would run or restructure the page if it were not escaped. */
function expectInert(html: string) {
  expect(html).not.toMatch(/<img src=x/i);
  expect(html).not.toMatch(/<script>alert/i);
  expect(html).not.toMatch(/"><script/i);
  expect(html).not.toContain('\u202e');
}

describe('no HTML injection into pages', () => {
  it('client_name and login_hint are escaped on the email form', async () => {
    const pending = await running.rp.startAuthorization({ login_hint: '"><script>alert(1)</script>' });
    const page = await new HttpBrowser().navigate(pending.url);
    expect(page.status).toBe(200);
    expectInert(page.html);
    expect(page.html).toContain('Evil &lt;img src=x onerror=alert(1)&gt; &#34;quoted&#34; &amp; &#39;single&#39; Bcc: harvest@evil.example');
    expect(page.html).toContain('value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });

  it('the check-email, link and consent pages escape it too, and the claim names an app asks for', async () => {
    // Claim names are the app's free text too, listed beside the sign-in button (what it will receive).
    const claims = JSON.stringify({ userinfo: { '<img src=x onerror=alert(2)>': null } });
    const signIn = await requestSignInMail({ ...running, authorizationParams: { claims } }, 'escape@example.com');
    expectInert(signIn.checkPage.html);
    expect(signIn.checkPage.html).toContain('see your &lt;img src=x onerror=alert(2)&gt;');
    const linkPage = (await signIn.browser.navigate(signIn.mail.link!)).html;
    expectInert(linkPage);
    expect(linkPage).toContain('see your &lt;img src=x onerror=alert(2)&gt;');
    const consent = await reachConsentPage(running, 'escape-consent@example.com');
    expectInert(consent.page.html);
    expect(consent.page.html).toContain('Evil &lt;img');
    const logout = await consent.browser.navigate(`${running.sesame.url}/session/end?client_id=hostile-app`);
    expect(logout.html).toContain('Sign out of Sesame on this browser');
    expectInert(logout.html);
  });

  it('error pages do not reflect markup from the request', async () => {
    const browser = new HttpBrowser();
    const unknownClient = await browser.navigate(`${running.sesame.url}/auth?client_id=%3Cscript%3Ealert(1)%3C/script%3E&response_type=code&scope=openid`);
    expect(unknownClient.status).toBe(400);
    expectInert(unknownClient.html);
    const badRedirect = await browser.navigate(`${running.sesame.url}/auth?client_id=hostile-app&response_type=code&scope=openid&redirect_uri=%22%3E%3Cscript%3Ealert(1)%3C/script%3E`);
    expect(badRedirect.status).toBe(400);
    expectInert(badRedirect.html);
    const notFound = await browser.navigate(`${running.sesame.url}/%3Cscript%3Ealert(1)%3C/script%3E`);
    expect(notFound.status).toBe(404);
    expectInert(notFound.html);
  });
});

describe('no injection into mail', () => {
  it('client_name cannot add headers or recipients, and is escaped in the HTML part', async () => {
    const before = running.smtp.messages.length;
    const signIn = await requestSignInMail(running, 'mail-escape@example.com');
    await running.sesame.mailIdle();
    expect(running.smtp.messages.slice(before).map((m) => m.to)).toEqual(['mail-escape@example.com']);
    expect(signIn.mail.subject).not.toMatch(/[\r\n]/);
    expect(signIn.mail.subject).toBe('Sign in to Evil <img src=x onerror=alert(1)> "quoted" & \'single\' Bcc: harvest@evil.example');
    expect(signIn.mail.html).not.toMatch(/<img src=x/);
    expect(signIn.mail.html).toContain('Evil &lt;img src=x');
    expect(signIn.mail.text).toContain('Sign in to Evil <img src=x onerror=alert(1)>');
  });

  it('an address with a line break or a second recipient is refused before anything is sent', async () => {
    const pending = await running.rp.startAuthorization();
    const browser = new HttpBrowser();
    const page = await browser.navigate(pending.url);
    const uid = page.url.split('/').pop()!;
    const before = running.smtp.messages.length;
    for (const email of ['victim@example.com\r\nBcc: harvest@evil.example', 'victim@example.com\nbcc:harvest@evil.example', 'victim@example.com, harvest@evil.example', 'victim@example.com%0d%0abcc:harvest@evil.example']) {
      const response = await browser.request(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...formFields(page.html, '/email'), email } });
      expect([email, response.status]).toEqual([email, 400]);
    }
    await running.sesame.mailIdle();
    expect(running.smtp.messages.length).toBe(before);
  });
});
