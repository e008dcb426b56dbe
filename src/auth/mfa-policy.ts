import type { ClientMfaPolicy } from '../config/config-schema.ts';

/** What a sign-in still needs after the email is proven. */
export type SecondFactorStep = 'none' | 'verify' | 'enroll';

export interface ClientSecondFactorSettings {
  mfa: ClientMfaPolicy;
  /** Whether "remember this browser" is offered and honoured for this app. */
  rememberDevice: boolean;
}

/** The clients-file keys `mfa` and `remember_device`, with their defaults. */
export function clientSecondFactorSettings(metadata: Record<string, unknown>): ClientSecondFactorSettings {
  const mfa = metadata.mfa === 'off' || metadata.mfa === 'required' ? metadata.mfa : 'optional';
  return { mfa, rememberDevice: metadata.remember_device !== false };
}

export interface SecondFactorSituation {
  client: ClientSecondFactorSettings;
  /** The app asked for multi-factor itself: acr_values, an acr claim request, or prompt=mfa. */
  requestedByApp: boolean;
  accountHasTotp: boolean;
  /** Whether this browser is remembered for the account; only asked when it can change the answer. */
  deviceRemembered: () => Promise<boolean>;
}

/**
 * The one place that decides whether a sign-in asks for the authenticator app.
 * - An app's explicit request always gets a fresh check (enrolment first when there is no
 *   authenticator yet); a remembered browser never stands in for it.
 * - `off`: the policy itself never asks.
 * - `optional`: asks people who set up an authenticator.
 * - `required`: everyone must have one, set up during sign-in if need be.
 * A remembered browser skips the question for `optional` and `required` when the app allows it.
 */
export async function secondFactorStep({ client, requestedByApp, accountHasTotp, deviceRemembered }: SecondFactorSituation): Promise<SecondFactorStep> {
  if (requestedByApp) return accountHasTotp ? 'verify' : 'enroll';
  if (client.mfa === 'off') return 'none';
  if (!accountHasTotp) return client.mfa === 'required' ? 'enroll' : 'none';
  if (client.rememberDevice && (await deviceRemembered())) return 'none';
  return 'verify';
}
