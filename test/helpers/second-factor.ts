import { generateSync } from 'otplib';
import { generateRecoveryCodes } from '../../src/auth/recovery-codes.ts';
import { createSecondFactor } from '../../src/auth/second-factor.ts';
import { createSecretBox, parseEncryptionKeys } from '../../src/auth/secret-box.ts';
import { newTotpSecret } from '../../src/auth/totp.ts';
import { totpSecretAssociatedData } from '../../src/auth/totp-enrollment.ts';
import { formFields, type HttpBrowser, type Page } from './http-browser.ts';
import type { RunningSesame } from './start-sesame.ts';

/**
 * The authenticator code for the current time step plus `stepOffset`. Tests use steps 0 and +1:
 * both stay acceptable for a whole step even if a step boundary passes before the code is checked.
 */
export function totpCode(secret: string, stepOffset = 0): string {
  return generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + stepOffset * 30 });
}

/** A different 6-digit code that is certainly wrong now (none of steps -1..+1). */
export function wrongTotpCode(secret: string): string {
  const taken = new Set([-1, 0, 1].map((offset) => totpCode(secret, offset)));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0');
    if (!taken.has(candidate)) return candidate;
  }
}

/**
 * An account with an authenticator already set up, written the way enrolment writes it but
 * without spending a time step on the confirmation. Returns the secret and the recovery codes.
 */
export async function accountWithTotp(sesame: RunningSesame, email: string) {
  const existing = await sesame.accounts.findByEmail(email);
  const account = existing ?? (await sesame.accounts.create(email, { verified: true })).account;
  const secret = newTotpSecret();
  const box = createSecretBox({ keys: parseEncryptionKeys(sesame.config.encryptionKeys) });
  await sesame.accounts.setTotp(account.id, { sealedSecret: box.seal(secret, totpSecretAssociatedData(account.id)), enrolledAt: new Date().toISOString() });
  const recoveryCodes = generateRecoveryCodes(10);
  await secondFactorOf(sesame).recoveryCodes.replace(account.id, recoveryCodes);
  return { account, secret, recoveryCodes };
}

/** The running instance's second-factor modules, for checks a page cannot show. */
export function secondFactorOf(sesame: RunningSesame) {
  return createSecondFactor({ config: sesame.config, store: sesame.store, accounts: sesame.accounts });
}

/** Submits the authenticator prompt at `totpPage` and follows redirects. */
export async function submitTotp(browser: HttpBrowser, totpPage: Page, fields: { code?: string; recovery_code?: string; remember?: 'yes' }) {
  const { csrf } = formFields(totpPage.html, '/totp');
  const url = totpPage.url.replace(/\?.*$/, '').replace(/\/totp(\/enroll)?$/, '/totp');
  return browser.navigate(url, { form: { csrf: csrf!, ...fields } as Record<string, string> });
}
