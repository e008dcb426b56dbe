import { describe, expect, it } from '@jest/globals';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import type { RelyingParty } from '../helpers/relying-party.ts';
import { requestSignInMail, signInWithCode } from '../helpers/sign-in.ts';
import type { RunningSesame } from '../helpers/start-sesame.ts';
import { useSesame } from '../helpers/use-sesame.ts';

/** The parts of a response that must not differ between a known and an unknown address. */
async function emailAnswer(sesame: RunningSesame, rp: RelyingParty, email: string) {
  const browser = new HttpBrowser();
  const emailPage = await browser.navigate((await rp.startAuthorization()).url);
  const uid = emailPage.url.split('/').pop()!;
  const response = await browser.request(`${sesame.url}/interaction/${uid}/email`, { form: { ...formFields(emailPage.html, '/email'), email } });
  const check = await browser.navigate(`${sesame.url}/interaction/${uid}/check`);
  return {
    status: response.status,
    location: response.headers.get('location')!.replace(uid, 'UID'),
    headerNames: [...response.headers.keys()].filter((h) => !['date', 'x-request-id', 'set-cookie'].includes(h)).sort(),
    page: check.html.replace(new RegExp(uid, 'g'), 'UID').replace(/value="[^"]{40,}"/g, 'value="CSRF"').replace(/<time[^>]*>[^<]*<\/time>/, 'TIME').replace(/id="match-number">\d+</, 'id="match-number">NN<').replace(/nonce="[^"]+"/g, 'nonce="N"'),
  };
}

// Each policy's instance lives for its describe only, with its own Redis and SMTP sink.
describe('SIGNUP=closed', () => {
  const running = useSesame({ config: { signup: 'closed' } });

  it('gives an unknown address the same answer as a known one, and sends it no mail', async () => {
    await running.sesame.accounts.create('member@example.com', { verified: false });
    const known = await emailAnswer(running.sesame, running.rp, 'member@example.com');
    const unknown = await emailAnswer(running.sesame, running.rp, 'stranger@example.com');
    expect(unknown.status).toBe(known.status);
    expect(unknown.location).toBe(known.location);
    expect(unknown.headerNames).toEqual(known.headerNames);
    expect(unknown.page.replace(/stranger/g, 'X')).toBe(known.page.replace(/member/g, 'X'));

    await running.smtp.waitForMail('member@example.com');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(running.smtp.messages.filter((m) => m.to === 'stranger@example.com')).toHaveLength(0);
  });

  it('lets an existing account sign in and marks its email verified', async () => {
    await running.sesame.accounts.create('invited@example.com', { verified: false });
    const { tokens } = await signInWithCode(running, 'invited@example.com');
    expect(tokens.claims()!.email_verified).toBe(true);
    expect((await running.sesame.accounts.findByEmail('invited@example.com'))!.emailVerifiedAt).toBeDefined();
  });
});

describe('SIGNUP=open', () => {
  const running = useSesame({ config: { signup: 'open' } });

  it('gives an address with an account the same answer as a new one', async () => {
    await running.sesame.accounts.create('regular@example.com', { verified: true });
    const known = await emailAnswer(running.sesame, running.rp, 'regular@example.com');
    const unknown = await emailAnswer(running.sesame, running.rp, 'firsttime@example.com');
    expect(unknown.status).toBe(known.status);
    expect(unknown.location).toBe(known.location);
    expect(unknown.headerNames).toEqual(known.headerNames);
    expect(unknown.page.replace(/firsttime/g, 'X')).toBe(known.page.replace(/regular/g, 'X'));
  });

  it('creates the account on the first verified email, not before', async () => {
    const { mail } = await requestSignInMail(running, 'newcomer@example.com');
    expect(mail.code).toBeDefined();
    expect(await running.sesame.accounts.findByEmail('newcomer@example.com')).toBeUndefined();
    const { tokens } = await signInWithCode(running, 'newcomer@example.com');
    const account = await running.sesame.accounts.findByEmail('newcomer@example.com');
    expect(account).toBeDefined();
    expect(tokens.claims()!.sub).toBe(account!.id);
    expect(tokens.claims()!.email_verified).toBe(true);
  });
});

describe('SIGNUP=open with SIGNUP_DOMAINS=example.com,example.org', () => {
  const running = useSesame({ config: { signup: 'open', signupDomains: ['example.com', 'example.org'] } });

  it('names the domains on the email form, and after an account is deleted', async () => {
    const page = await new HttpBrowser().navigate((await running.rp.startAuthorization()).url);
    expect(page.html).toContain('First time here? Use your address at example.com or example.org.');
    const deleted = await new HttpBrowser().navigate(`${running.sesame.url}/account/deleted`);
    expect(deleted.html).toContain('Signing in later with an address at example.com or example.org starts a new, empty account.');
  });

  it('gives an address at another domain the same answer as one at a listed domain, and sends it no mail', async () => {
    const inside = await emailAnswer(running.sesame, running.rp, 'colleague@example.org');
    const outside = await emailAnswer(running.sesame, running.rp, 'someone@elsewhere.net');
    expect(outside.status).toBe(inside.status);
    expect(outside.location).toBe(inside.location);
    expect(outside.headerNames).toEqual(inside.headerNames);
    expect(outside.page.replace(/someone@elsewhere\.net/g, 'X')).toBe(inside.page.replace(/colleague@example\.org/g, 'X'));

    await running.smtp.waitForMail('colleague@example.org');
    await running.sesame.mailIdle();
    expect(running.smtp.messages.filter((m) => m.to === 'someone@elsewhere.net')).toHaveLength(0);
  });

  it('sends no mail to a new address at a listed domain whose local part routes the mail elsewhere', async () => {
    // A relay serving example.org may deliver "someone%elsewhere.net@example.org" to
    // someone@elsewhere.net (Postfix's allow_percent_hack and swap_bangpath are on by default), so
    // its mailbox proves nothing about example.org. Same answer as any address, decided by the worker.
    const inside = await emailAnswer(running.sesame, running.rp, 'router.check@example.org');
    const routed = await emailAnswer(running.sesame, running.rp, 'someone%elsewhere.net@example.org');
    expect(routed.status).toBe(inside.status);
    expect(routed.location).toBe(inside.location);
    expect(routed.page.replace(/someone%elsewhere\.net/g, 'X')).toBe(inside.page.replace(/router\.check/g, 'X'));

    await running.smtp.waitForMail('router.check@example.org');
    await running.sesame.mailIdle();
    expect(running.smtp.messages.filter((m) => m.to === 'someone%elsewhere.net@example.org')).toHaveLength(0);
  });

  it('creates an account for a new address at a listed domain, whatever its case', async () => {
    const { tokens } = await signInWithCode(running, 'First.Timer@EXAMPLE.COM');
    const account = await running.sesame.accounts.findByEmail('first.timer@example.com');
    expect(tokens.claims()).toMatchObject({ sub: account!.id, email: 'first.timer@example.com', email_verified: true });
  });

  it('lets an account at another domain, added by the administrator, sign in', async () => {
    const { account } = await running.sesame.accounts.create('contractor@partner.net', { verified: false });
    const { tokens } = await signInWithCode(running, 'contractor@partner.net');
    expect(tokens.claims()).toMatchObject({ sub: account.id, email_verified: true });
  });

  it('does not make an account at another domain whose account went away during the sign-in, and says who gets in', async () => {
    // The one way to prove an outside address without an account: it had one when the mail went out.
    const { account } = await running.sesame.accounts.create('leaving@partner.net', { verified: true });
    const { browser, uid, mail, origin } = await requestSignInMail(running, 'leaving@partner.net');
    await running.sesame.accounts.removeAccount(account);
    const page = await browser.navigate(`${origin}/interaction/${uid}/code`, { form: { ...formFields((await browser.navigate(`${origin}/interaction/${uid}/check`)).html, '/code'), code: mail.code! } });
    expect(page.status).toBe(403);
    expect(page.html).toContain('This service only lets in people with an address at example.com or example.org, and people who have been invited.');
    expect(await running.sesame.accounts.findByEmail('leaving@partner.net')).toBeUndefined();
  });
});
