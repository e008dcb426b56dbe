import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { clientSecondFactorSettings, secondFactorStep } from '../auth/mfa-policy.ts';
import type { RememberedDevices } from '../auth/remembered-devices.ts';
import { readDeviceIds } from '../http/device-cookie.ts';
import { ACR_MFA } from './acr.ts';
import type { SesameOidcAccount } from './find-account.ts';
import { appRequestsMfa, MFA_PROMPT } from './mfa-request.ts';

const { Check, Prompt } = interactionPolicy;

/**
 * The "mfa" prompt, between login and consent: an existing session that lacks the second factor
 * this authorization needs is stepped up with an authenticator code instead of being passed
 * through. Fresh sign-ins get their second factor before the login is handed over (finish-login),
 * so this only has work to do for sessions that already exist.
 *
 * Requestable: `prompt=mfa` forces a fresh authenticator check even on a multi-factor session
 * (how /account confirms a person before removing the authenticator).
 */
export function createMfaPrompt({ devices }: { devices: Pick<RememberedDevices, 'isRemembered'> }) {
  return new Prompt(
    { name: MFA_PROMPT, requestable: true },
    new Check('second_factor_due', 'a second authentication factor is required', async (ctx: KoaContextWithOIDC) => {
      const { session, client, params } = ctx.oidc;
      // No session: the login prompt runs first, and finish-login applies the policy.
      if (!session?.accountId || !client) return Check.NO_NEED_TO_PROMPT;
      if (session.acr === ACR_MFA) return Check.NO_NEED_TO_PROMPT;
      // Costs nothing to read, and is never skipped by a remembered browser.
      if (appRequestsMfa(params as Record<string, unknown>)) return Check.REQUEST_PROMPT;
      const settings = clientSecondFactorSettings(client.metadata());
      if (settings.mfa === 'off') return Check.NO_NEED_TO_PROMPT;
      // The login was handed over in this very authorization: finish-login already applied the policy.
      if (ctx.oidc.result?.login) return Check.NO_NEED_TO_PROMPT;
      // A reused single-factor session. The account was loaded by oidc-provider already (no read
      // here); the remembered-browser record is read only for people with an authenticator.
      const account = ctx.oidc.account as SesameOidcAccount | undefined;
      if (!account) return Check.NO_NEED_TO_PROMPT;
      const step = await secondFactorStep({
        client: settings,
        requestedByApp: false,
        accountHasTotp: account.totpEnrolled,
        deviceRemembered: () => devices.isRemembered(account.accountId, readDeviceIds(ctx), account.totpEnrolledAt),
      });
      return step === 'none' ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
}
