import { translatorOf } from '../i18n/page-language.ts';
import type { MessageRef } from '../i18n/translate.ts';
import type { Context } from 'koa';
import { localeToRemember } from '../accounts/accounts.ts';
import { domainsInWords, maySignUp } from '../accounts/signup-policy.ts';
import { secondFactorStep, clientSecondFactorSettings } from '../auth/mfa-policy.ts';
import { readDeviceIds } from '../http/device-cookie.ts';
import { HttpError } from '../http/errors.ts';
import { rememberKnownAddress } from '../http/known-address-cookie.ts';
import { ACR_EMAIL, AMR_EMAIL, loginProvenNow } from '../oidc/acr.ts';
import { appRequestsMfa } from '../oidc/mfa-request.ts';
import { carryAccount } from '../oidc/carried-records.ts';
import { consentGivenWithSignIn } from '../oidc/implied-grant.ts';
import { addressAllowedForApp, appEmailDomains } from '../oidc/app-email-domains.ts';
import { clientDisplayName } from './client-name.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';
import { cookiesAreSecure } from '../http/secure-cookies.ts';

const NOT_HERE: MessageRef = { key: 'error.notHere.title' };

/**
 * Called once the email is proven (code, link, or cross-device approval), in the browser that
 * holds the interaction cookie. With open sign-up the account is created here, on the first
 * verified address. Then either the login is handed to oidc-provider (email alone is enough), or,
 * when a second factor is due, "email proven for this account" is kept for this interaction only
 * and the browser goes to the authenticator prompt: oidc-provider hears of the login only after
 * that, so no session ever exists with just the first factor (oidc-provider #661).
 */
export function createFinishLogin({ provider, accounts, config, logger, audit, secondFactor, lockout }: Pick<InteractionDeps, 'provider' | 'accounts' | 'config' | 'logger' | 'audit' | 'secondFactor' | 'lockout'>) {
  const secureCookies = cookiesAreSecure(config.issuer);
  /**
   * `consentGiven`: the page whose button led here showed what the app will receive
   * (interaction/sharing-notice.ts), so no consent page follows (oidc/implied-grant.ts).
   */
  return async function finishLogin(ctx: Context, interaction: Interaction, email: string, { consentGiven }: { consentGiven: boolean }) {
    // The email is proven: that ends its streak of wrong sign-in codes (only consecutive failures
    // count). The authenticator's streak is separate (auth/lockout.ts) and stays as it is. A
    // buffered write in the request scope: no round trip of its own.
    await lockout.recordSuccess(email);
    // Static clients live in memory: reading the app's policy costs no round trip, and for a
    // person without an authenticator neither does the decision (the account is read below).
    const client = await provider.Client.find(String(interaction.params.client_id));
    // The email form refuses such an address before any mail; this holds for a sign-in begun before
    // the app's registration changed, and before an account is made for it.
    if (!addressAllowedForApp(client?.metadata(), email)) {
      const clientName = clientDisplayName(client?.clientName ?? client?.clientId);
      const translator = translatorOf(ctx);
      throw new HttpError(403, 'access_denied', NOT_HERE, { key: 'error.notHere.appDomains', params: { clientName, domains: domainsInWords(appEmailDomains(client?.metadata()) ?? [], translator) } });
    }
    let account = await accounts.findByEmail(email);
    // The sign-in's language, remembered on the account for the mail no page precedes (an
    // administrator's notices): with a write that happens anyway where there is one, else only
    // when it changed, so a sign-in in the account's usual language costs nothing more.
    const locale = translatorOf(ctx).locale;
    if (!account) {
      if (!maySignUp(config, email)) {
        const support = config.support?.label;
        const domains = domainsInWords(config.signupDomains, translatorOf(ctx));
        const message: MessageRef = config.signup === 'open'
          ? (support ? { key: 'error.notHere.domainsOrInvitedWithSupport', params: { domains, support } } : { key: 'error.notHere.domainsOrInvited', params: { domains } })
          : (support ? { key: 'error.notHere.invitedOnlyWithSupport', params: { support } } : { key: 'error.notHere.invitedOnly' });
        throw new HttpError(403, 'access_denied', NOT_HERE, message);
      }
      account = (await accounts.create(email, { verified: true, locale })).account;
      logger.info({ accountId: account.id }, 'account created on first verified sign-in');
      audit.record({ event: 'account.created', accountId: account.id, clientId: String(interaction.params.client_id) });
    } else if (!account.emailVerifiedAt) {
      const verified = await accounts.markVerified(account, { locale: localeToRemember(account, locale) });
      // Removed by its administrator in the moment between: not signed in to what no longer exists.
      if (!verified) throw new HttpError(409, 'account_removed', { key: 'error.accountRemoved.title' }, { key: 'error.accountRemoved.message' });
      account = verified;
    } else if (localeToRemember(account, locale)) {
      account = (await accounts.setLocale(account.id, locale)) ?? account;
    }
    // Proven in this browser: its next mail request for this address is not held to the ceiling
    // that others may have spent.
    rememberKnownAddress(ctx, config.hmacKey, email, { secure: secureCookies });

    const accountId = account.id;
    const step = await secondFactorStep({
      client: clientSecondFactorSettings(client?.metadata() ?? {}),
      requestedByApp: appRequestsMfa(interaction.params),
      accountHasTotp: account.totp !== undefined,
      deviceRemembered: () => secondFactor.devices.isRemembered(accountId, readDeviceIds(ctx), account.totp?.enrolledAt),
    });

    if (step !== 'none') {
      const secondsLeft = interaction.exp - Math.floor(Date.now() / 1000);
      await secondFactor.pending.record(interaction.uid, { accountId, email: account.email, consentGiven }, secondsLeft);
      ctx.status = 303;
      return ctx.redirect(`/interaction/${interaction.uid}/totp${step === 'enroll' ? '/enroll' : ''}`);
    }

    // `ts`: the email was proven now (see loginProvenNow).
    const ts = await loginProvenNow(accounts, accountId);
    const returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      // The account rides along to the request that resumes the authorization (oidc/carried-records.ts).
      { login: { accountId, acr: ACR_EMAIL, amr: [AMR_EMAIL], remember: true, ts }, ...(consentGiven ? consentGivenWithSignIn() : {}), ...carryAccount(account) },
      { mergeWithLastSubmission: false },
    );
    ctx.status = 303;
    ctx.redirect(returnTo);
  };
}

export type FinishLogin = ReturnType<typeof createFinishLogin>;
