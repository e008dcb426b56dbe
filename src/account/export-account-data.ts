import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { cookiesAreSecure } from '../http/secure-cookies.ts';
import { verifiedSessionIdOf } from '../oidc/session-cookie.ts';
import type { AccountDeps } from './account-deps.ts';

/**
 * POST /account/export — everything Sesame keeps about the person, as one JSON file they can keep
 * or hand on (GDPR articles 15 and 20: access and portability), without asking the administrator.
 * The same facts as the account page, in full: the account, its authenticator (when it was set up,
 * never its secret), remembered browsers, signed-in browsers and the apps with access. No secret
 * leaves: no authenticator secret or recovery code, no session id, no handle a form could use.
 * A form with the page's CSRF token, not a link: the cookies go with a top-level GET from any
 * site (SameSite=Lax), and another site must not be able to drop the file into the downloads of
 * whoever is at the browser.
 */
export function createExportAccountData({ config, secondFactor, browserSessions, appsWithAccess }: Pick<AccountDeps, 'config' | 'secondFactor' | 'browserSessions' | 'appsWithAccess'>) {
  const secure = cookiesAreSecure(config.issuer);
  return async function exportAccountData(ctx: Context) {
    const account: Account = ctx.state.account;
    const [recoveryCodesLeft, devices, browsers, apps] = await Promise.all([
      account.totp ? secondFactor.recoveryCodes.remaining(account.id) : Promise.resolve(0),
      secondFactor.devices.list(account.id),
      browserSessions.list(account.id, verifiedSessionIdOf(ctx, secure)),
      appsWithAccess.list(account.id),
    ]);
    const exportedAt = new Date();
    ctx.set('Content-Disposition', `attachment; filename="${config.appName.replace(/[^A-Za-z0-9_-]+/g, '-')}-account-${exportedAt.toISOString().slice(0, 10)}.json"`);
    ctx.type = 'application/json';
    ctx.body = `${JSON.stringify(
      {
        exportedAt: exportedAt.toISOString(),
        issuer: config.issuer,
        account: {
          // The `sub` every app knows the person by.
          id: account.id,
          email: account.email,
          createdAt: account.createdAt,
          emailVerifiedAt: account.emailVerifiedAt ?? null,
          authenticatorApp: account.totp ? { setUpAt: account.totp.enrolledAt, recoveryCodesLeft } : null,
        },
        rememberedBrowsers: devices.map((device) => ({ browser: device.label, since: device.createdAt.toISOString(), until: device.expiresAt.toISOString() })),
        signedInBrowsers: browsers.map((browser) => ({ browser: browser.device ?? null, signedInAt: browser.signedInAt.toISOString(), provenWith: browser.amr, apps: browser.apps, thisBrowser: browser.current })),
        appsWithAccess: apps.map((app) => ({ app: app.name, clientId: app.clientId, scope: ['openid', ...app.scopes].join(' '), claims: app.claims, since: app.since.toISOString(), signedInBrowsers: app.browsers, offlineAccess: app.offline })),
      },
      null,
      2,
    )}\n`;
  };
}
