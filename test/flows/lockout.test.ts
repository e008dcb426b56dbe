import { describe, expect, it } from '@jest/globals';
import { formFields } from '../helpers/http-browser.ts';
import { finishAtApp, requestSignInMail, signInWithCode } from '../helpers/sign-in.ts';
import { testConfig } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// The lock threshold is 100 in production (NIST SP 800-63B's ceiling); 7 here so that one lock
// spans two sign-ins (5 wrong codes kill a code) without a hundred requests.
const LOCK_AFTER = 7;

const running = useSesame({ config: { signInCode: { ...testConfig({ issuer: 'http://unused' }).signInCode, maxConsecutiveFailures: LOCK_AFTER } } });

const wrongFor = (code: string) => (code === '000000' ? '111111' : '000000');

/** Posts codes into a waiting sign-in page; returns the last answer with the per-sign-in details masked. */
async function enterCodes(signIn: Awaited<ReturnType<typeof requestSignInMail>>, codes: string[]) {
  const { csrf } = formFields(signIn.checkPage.html, '/code');
  let page;
  for (const code of codes) page = await signIn.browser.navigate(`${signIn.origin}/interaction/${signIn.uid}/code`, { form: { csrf: csrf!, code } });
  return {
    status: page!.status,
    leftTo: page!.leftTo,
    html: page!.html
      .replaceAll(signIn.uid, 'UID')
      .replaceAll(csrf!, 'CSRF')
      .replace(/[a-z-]+@example\.com/g, 'EMAIL')
      .replace(/<time[^>]*>[^<]*<\/time>/, 'TIME')
      .replace(/id="match-number">\d+</, 'id="match-number">NN<')
      .replace(/nonce="[^"]+"/g, 'nonce="N"'),
  };
}

describe('consecutive wrong codes lock codes for the address', () => {
  it('after the limit, the right code is answered exactly like a wrong one', async () => {
    const victim = 'victim@example.com';
    const first = await requestSignInMail(running, victim);
    await enterCodes(first, Array(5).fill(wrongFor(first.mail.code!)));
    const second = await requestSignInMail(running, victim);
    // Failures 6 and 7 lock the address; the 8th entry is the right code.
    const locked = await enterCodes(second, [wrongFor(second.mail.code!), wrongFor(second.mail.code!), second.mail.code!]);

    const control = await requestSignInMail(running, 'control@example.com');
    const wrong = await enterCodes(control, Array(3).fill(wrongFor(control.mail.code!)));

    expect(locked.leftTo).toBeUndefined();
    expect(locked).toEqual(wrong);
    expect(locked.html).toContain('That code is not right. 2 tries left.');
  });

  it('the address looks like any other from outside; only its mailbox learns that codes are off, and the link still signs in', async () => {
    const victim = 'victim@example.com';
    const lockedRequest = await requestSignInMail(running, victim);
    const freshRequest = await requestSignInMail(running, 'fresh@example.com');
    const mask = (html: string, uid: string) => html.replaceAll(uid, 'UID').replace(/value="[^"]{40,}"/g, 'value="CSRF"').replace(/[a-z]+@example\.com/g, 'EMAIL').replace(/<time[^>]*>[^<]*<\/time>/, 'TIME').replace(/id="match-number">\d+</, 'id="match-number">NN<').replace(/nonce="[^"]+"/g, 'nonce="N"');
    expect(lockedRequest.checkPage.status).toBe(freshRequest.checkPage.status);
    expect(mask(lockedRequest.checkPage.html, lockedRequest.uid)).toBe(mask(freshRequest.checkPage.html, freshRequest.uid));

    expect(lockedRequest.mail.code).toBeUndefined();
    expect(lockedRequest.mail.text).toContain('Codes are switched off for your address');
    expect(lockedRequest.mail.html).toContain('Codes are switched off for your address');
    expect(freshRequest.mail.code).toMatch(/^\d{6}$/);

    // The link is a 256-bit secret, not something to guess: it still proves the mailbox.
    const confirm = await lockedRequest.browser.navigate(lockedRequest.mail.link!);
    const page = await lockedRequest.browser.navigate(`${lockedRequest.origin}/interaction/${lockedRequest.uid}/link`, { form: formFields(confirm.html, '/link') });
    const tokens = await running.rp.handleCallback(await finishAtApp(lockedRequest.browser, page), lockedRequest.pending);
    expect(tokens.claims()!.email).toBe(victim);
  });

  it('a completed sign-in ends the streak: codes work again', async () => {
    const { tokens, mail } = await signInWithCode(running, 'victim@example.com');
    expect(mail.code).toMatch(/^\d{6}$/);
    expect(tokens.claims()!.email).toBe('victim@example.com');
  });

  it('an address without an account locks the same way', async () => {
    const nobody = 'nobody-yet@example.com';
    for (let round = 0; round < 2; round++) {
      const signIn = await requestSignInMail(running, nobody);
      await enterCodes(signIn, Array(5).fill(wrongFor(signIn.mail.code!)));
    }
    const after = await requestSignInMail(running, nobody);
    expect(after.mail.code).toBeUndefined();
    expect(await running.sesame.accounts.findByEmail(nobody)).toBeUndefined();
  });
});
