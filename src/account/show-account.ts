import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { readDeviceIds } from '../http/device-cookie.ts';
import { queryText } from '../http/outcome-query.ts';
import { cookiesAreSecure } from '../http/secure-cookies.ts';
import { AMR_OTP, AMR_RECOVERY_CODE } from '../oidc/acr.ts';
import { verifiedSessionIdOf } from '../oidc/session-cookie.ts';
import { listedOnce } from '../interaction/sharing-notice.ts';
import type { AccountDeps } from './account-deps.ts';

/** Confirmation notes after a redirect; fixed texts, so the query string cannot put words on the page. */
const NOTICES = {
  'totp-removed': 'The authenticator app was removed, with its recovery codes and remembered browsers.',
  'device-forgotten': 'That browser will be asked for a code again at its next sign-in.',
  'devices-forgotten': 'Every browser will be asked for a code again at its next sign-in.',
  'email-changed': 'Your email address was changed: sign in with the new one from now on. You were signed out everywhere else; apps get the new address when you next sign in to them.',
  'browser-signed-out': 'That browser is signed out, and so are the apps it signed in to.',
  'browsers-signed-out': 'Every other browser is signed out, and so are the apps they signed in to.',
  'browser-gone': 'That browser was already signed out.',
  'app-access-removed': 'That app no longer has access: what it held was revoked, and it signs you in afresh if you use it again.',
  'app-had-no-access': 'That app had no access left.',
  'name-saved': 'Your name was saved: apps that see your profile get it the next time they ask.',
  'name-removed': 'Your name was removed: apps that ask for it get none from now on.',
} as const;

/** How a browser's latest sign-in was proven, from its `amr`. */
function provenWith(amr: readonly string[]): string {
  if (amr.includes(AMR_OTP)) return 'email and authenticator app';
  if (amr.includes(AMR_RECOVERY_CODE)) return 'email and a recovery code';
  return 'email';
}

/** GET /account — the email, the authenticator and its recovery codes, remembered browsers, signed-in browsers and apps with access. */
export function createShowAccount({ config, secondFactor, browserSessions, appsWithAccess }: Pick<AccountDeps, 'config' | 'secondFactor' | 'browserSessions' | 'appsWithAccess'>) {
  const secure = cookiesAreSecure(config.issuer);
  return async function showAccount(ctx: Context) {
    const account: Account = ctx.state.account;
    const [recoveryCodesLeft, devices, browsers, apps] = await Promise.all([
      account.totp ? secondFactor.recoveryCodes.remaining(account.id) : Promise.resolve(0),
      secondFactor.devices.list(account.id),
      browserSessions.list(account, verifiedSessionIdOf(ctx, secure)),
      appsWithAccess.list(account),
    ]);
    const thisBrowser = new Set(readDeviceIds(ctx).filter(secondFactor.devices.isDeviceId).map(secondFactor.devices.handleOf));
    await ctx.render('account', {
      email: account.email,
      name: account.name,
      totp: account.totp,
      recoveryCodesLeft,
      devices: devices.map((device) => ({ ...device, current: thisBrowser.has(device.handle) })),
      browsers: browsers.map((browser) => ({ ...browser, provenWith: provenWith(browser.amr) })),
      apps: apps.map(listedOnce),
      notice: queryText(ctx, 'done', NOTICES),
    });
  };
}
