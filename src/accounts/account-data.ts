import { DEFAULT_LOCALE } from '../i18n/locales.ts';
import type { EmailChangeCodes } from '../auth/email-change-codes.ts';
import type { SecondFactor } from '../auth/second-factor.ts';
import type { AppsWithAccessList } from '../oidc/apps-with-access.ts';
import type { BrowserSessionList } from '../oidc/browser-sessions.ts';
import type { Account } from './accounts.ts';

export interface AccountDataSources {
  secondFactor: Pick<SecondFactor, 'recoveryCodes' | 'devices'>;
  browserSessions: Pick<BrowserSessionList, 'list'>;
  appsWithAccess: Pick<AppsWithAccessList, 'list'>;
  emailChanges: Pick<EmailChangeCodes, 'pending'>;
}

/**
 * Everything Sesame keeps about a person, as one JSON-ready object (GDPR articles 15 and 20): the
 * account, its authenticator (when it was set up, never its secret), a change of address waiting
 * for its code (the address asked for and until when: Sesame keeps it, though not yet as the
 * account's; never the code or its hash), remembered browsers, signed-in browsers and the apps
 * with access. No secret is in it: no authenticator secret or recovery code, no session id, no
 * handle a form could use. The account page's download and the
 * administrator's `user export` give the same.
 */
export async function collectAccountData(account: Account, { secondFactor, browserSessions, appsWithAccess, emailChanges }: AccountDataSources, { issuer, currentSessionId }: { issuer: string; currentSessionId?: string }) {
  const [recoveryCodesLeft, devices, browsers, apps, pendingEmailChange] = await Promise.all([
    account.totp ? secondFactor.recoveryCodes.remaining(account.id) : Promise.resolve(0),
    secondFactor.devices.list(account.id),
    browserSessions.list(account, currentSessionId),
    appsWithAccess.list(account),
    emailChanges.pending(account.id),
  ]);
  return {
    exportedAt: new Date().toISOString(),
    issuer,
    account: {
      // The `sub` every app knows the person by.
      id: account.id,
      email: account.email,
      name: account.name ?? null,
      // The language its mail is written in (Account.locale): English where none was kept.
      language: account.locale ?? DEFAULT_LOCALE,
      createdAt: account.createdAt,
      emailVerifiedAt: account.emailVerifiedAt ?? null,
      authenticatorApp: account.totp ? { setUpAt: account.totp.enrolledAt, recoveryCodesLeft } : null,
      pendingEmailChange: pendingEmailChange ? { to: pendingEmailChange.to, until: pendingEmailChange.expiresAt.toISOString() } : null,
    },
    rememberedBrowsers: devices.map((device) => ({ browser: device.label, since: device.createdAt.toISOString(), until: device.expiresAt.toISOString() })),
    signedInBrowsers: browsers.map((browser) => ({ browser: browser.device ?? null, signedInAt: browser.signedInAt.toISOString(), provenWith: browser.amr, apps: browser.apps, thisBrowser: browser.current })),
    appsWithAccess: apps.map((app) => ({ app: app.name, clientId: app.clientId, scope: ['openid', ...app.scopes].join(' '), claims: app.claims, since: app.since.toISOString(), signedInBrowsers: app.browsers, offlineAccess: app.offline })),
  };
}
