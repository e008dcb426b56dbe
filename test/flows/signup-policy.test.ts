import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { startRedis, type StartedRedis } from '../helpers/redis.ts';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.ts';
import { requestSignInMail, signInWithCode } from '../helpers/sign-in.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame, type RunningSesame } from '../helpers/start-sesame.ts';

let redis: StartedRedis;
let smtp: SmtpSink;
let closed: RunningSesame;
let open: RunningSesame;
let closedRp: RelyingParty;
let openRp: RelyingParty;

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtpSink();
  closed = await startSesame({ redisUrl: redis.url, smtpUrl: smtp.url, config: { signup: 'closed' } });
  open = await startSesame({ redisUrl: redis.url, smtpUrl: smtp.url, config: { signup: 'open' } });
  closedRp = await startRelyingParty(closed.url);
  openRp = await startRelyingParty(open.url);
});

afterAll(async () => {
  await closed?.close();
  await open?.close();
  await smtp?.stop();
  await redis?.stop();
});

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

describe('SIGNUP=closed', () => {
  it('gives an unknown address the same answer as a known one, and sends it no mail', async () => {
    await closed.accounts.create('member@example.com', { verified: false });
    const known = await emailAnswer(closed, closedRp, 'member@example.com');
    const unknown = await emailAnswer(closed, closedRp, 'stranger@example.com');
    expect(unknown.status).toBe(known.status);
    expect(unknown.location).toBe(known.location);
    expect(unknown.headerNames).toEqual(known.headerNames);
    expect(unknown.page.replace(/stranger/g, 'X')).toBe(known.page.replace(/member/g, 'X'));

    await smtp.waitForMail('member@example.com');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.messages.filter((m) => m.to === 'stranger@example.com')).toHaveLength(0);
  });

  it('lets an existing account sign in and marks its email verified', async () => {
    await closed.accounts.create('invited@example.com', { verified: false });
    const { tokens } = await signInWithCode({ rp: closedRp, smtp }, 'invited@example.com');
    expect(tokens.claims()!.email_verified).toBe(true);
    expect((await closed.accounts.findByEmail('invited@example.com'))!.emailVerifiedAt).toBeDefined();
  });
});

describe('SIGNUP=open', () => {
  it('gives an address with an account the same answer as a new one', async () => {
    await open.accounts.create('regular@example.com', { verified: true });
    const known = await emailAnswer(open, openRp, 'regular@example.com');
    const unknown = await emailAnswer(open, openRp, 'firsttime@example.com');
    expect(unknown.status).toBe(known.status);
    expect(unknown.location).toBe(known.location);
    expect(unknown.headerNames).toEqual(known.headerNames);
    expect(unknown.page.replace(/firsttime/g, 'X')).toBe(known.page.replace(/regular/g, 'X'));
  });

  it('creates the account on the first verified email, not before', async () => {
    const { mail } = await requestSignInMail({ rp: openRp, smtp }, 'newcomer@example.com');
    expect(mail.code).toBeDefined();
    expect(await open.accounts.findByEmail('newcomer@example.com')).toBeUndefined();
    const { tokens } = await signInWithCode({ rp: openRp, smtp }, 'newcomer@example.com');
    const account = await open.accounts.findByEmail('newcomer@example.com');
    expect(account).toBeDefined();
    expect(tokens.claims()!.sub).toBe(account!.id);
    expect(tokens.claims()!.email_verified).toBe(true);
  });
});
