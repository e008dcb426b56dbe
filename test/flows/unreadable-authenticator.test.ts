import { describe, expect, it } from '@jest/globals';
import { createSecretBox, parseEncryptionKeys } from '../../src/auth/secret-box.ts';
import { totpSecretAssociatedData } from '../../src/auth/totp-enrollment.ts';
import { formFields } from '../helpers/http-browser.ts';
import { accountWithTotp, submitTotp, totpCode } from '../helpers/second-factor.ts';
import { finishAtApp, requestSignInMail } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';

const running = useSesame();

describe('an authenticator secret that cannot be opened (its ENCRYPTION_KEYS key removed while in use)', () => {
  it('is answered with a page that says so and offers the recovery codes, not a 500; a recovery code still signs in', async () => {
    const email = 'lost-key@example.com';
    const { account, secret, recoveryCodes } = await accountWithTotp(running.sesame, email);
    // Sealed again under a key this server does not hold, as after an operator dropped the old one.
    const foreign = createSecretBox({ keys: parseEncryptionKeys(`gone:${Buffer.alloc(32, 7).toString('base64url')}`) });
    await running.sesame.accounts.setTotp(account.id, { sealedSecret: foreign.seal(secret, totpSecretAssociatedData(account.id)), enrolledAt: new Date().toISOString() });

    const { browser, uid, mail, checkPage, pending } = await requestSignInMail(running, email);
    const prompt = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
    expect(prompt.url).toBe(`${running.sesame.url}/interaction/${uid}/totp`);
    const refused = await submitTotp(browser, prompt, { code: totpCode(secret) });
    expect([refused.status, refused.url]).toEqual([200, `${running.sesame.url}/interaction/${uid}/totp?error=unavailable`]);
    expect(refused.html).toContain('cannot be checked at the moment. Use one of your recovery codes');
    expect(refused.html).not.toContain('Something went wrong');

    const done = await submitTotp(browser, refused, { recovery_code: recoveryCodes[0]! });
    expect((await running.rp.handleCallback(await finishAtApp(browser, done), pending)).claims()!.acr).toBe('urn:sesame:acr:mfa');
  });
});
