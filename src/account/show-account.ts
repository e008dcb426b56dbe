import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { readDeviceIds } from '../http/device-cookie.ts';
import { queryMessage } from '../http/outcome-query.ts';
import type { MessageKey } from '../i18n/catalogues.ts';
import { deviceSummaryIn } from '../i18n/device-summary-in.ts';
import { translatorOf } from '../i18n/page-language.ts';
import { cookiesAreSecure } from '../http/secure-cookies.ts';
import { AMR_OTP, AMR_RECOVERY_CODE } from '../oidc/acr.ts';
import { verifiedSessionIdOf } from '../oidc/session-cookie.ts';
import { listedOnce } from '../interaction/sharing-notice.ts';
import { accountClient } from './account-client.ts';
import type { AccountDeps } from './account-deps.ts';

/** Confirmation notes after a redirect, by the key the form put in the address: a key, never words, so the query string cannot put text on the page. */
const NOTICES = {
  'totp-removed': 'account.notice.totpRemoved',
  'device-forgotten': 'account.notice.deviceForgotten',
  'devices-forgotten': 'account.notice.devicesForgotten',
  'email-changed': 'account.notice.emailChanged',
  'browser-signed-out': 'account.notice.browserSignedOut',
  'browsers-signed-out': 'account.notice.browsersSignedOut',
  'browser-gone': 'account.notice.browserGone',
  'app-access-removed': 'account.notice.appAccessRemoved',
  'app-had-no-access': 'account.notice.appHadNoAccess',
  'name-saved': 'account.notice.nameSaved',
  'name-removed': 'account.notice.nameRemoved',
} as const satisfies Record<string, MessageKey>;

/** How a browser's latest sign-in was proven, from its `amr`. */
function provenWith(amr: readonly string[]): MessageKey {
  if (amr.includes(AMR_OTP)) return 'account.browsers.provenWith.totp';
  if (amr.includes(AMR_RECOVERY_CODE)) return 'account.browsers.provenWith.recoveryCode';
  return 'account.browsers.provenWith.email';
}

/** GET /account — the email, the authenticator and its recovery codes, remembered browsers, signed-in browsers and apps with access. */
export function createShowAccount({ config, secondFactor, browserSessions, appsWithAccess }: Pick<AccountDeps, 'config' | 'secondFactor' | 'browserSessions' | 'appsWithAccess'>) {
  const secure = cookiesAreSecure(config.issuer);
  // The account page itself is among a browser's apps, listed by its registered (English) name.
  const ownName = accountClient(config.issuer, config.appName).client_name;
  return async function showAccount(ctx: Context) {
    const account: Account = ctx.state.account;
    const [recoveryCodesLeft, devices, browsers, apps] = await Promise.all([
      account.totp ? secondFactor.recoveryCodes.remaining(account.id) : Promise.resolve(0),
      secondFactor.devices.list(account.id),
      browserSessions.list(account, verifiedSessionIdOf(ctx, secure)),
      appsWithAccess.list(account),
    ]);
    const translator = translatorOf(ctx);
    const { t } = translator;
    const notice = queryMessage(ctx, 'done', NOTICES);
    const thisBrowser = new Set(readDeviceIds(ctx).filter(secondFactor.devices.isDeviceId).map(secondFactor.devices.handleOf));
    await ctx.render('account', {
      email: account.email,
      name: account.name,
      totp: account.totp,
      recoveryCodesLeft,
      devices: devices.map((device) => ({ ...device, label: deviceSummaryIn(device.label, translator), current: thisBrowser.has(device.handle) })),
      browsers: browsers.map((browser) => ({ ...browser, device: browser.device ? deviceSummaryIn(browser.device, translator) : t('summary.someBrowser'), provenWith: t(provenWith(browser.amr)), apps: browser.apps.map((app) => (app === ownName ? t('account.clientName', { appName: config.appName }) : app)) })),
      apps: apps.map(listedOnce),
      notice: notice && t(notice),
    });
  };
}
