import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { loginCheck } from './login-check.ts';

const { Check } = interactionPolicy;

/**
 * Whether a device's authorization request (RFC 8628 §3.1, its parameters as the device code
 * keeps them) sent `max_age=0`: a sign-in now, whatever session the browser at /device has.
 * oidc-provider (9.13.3, request_parameters.js checkMaxAge) turns max_age=0 into prompt=login and
 * drops max_age; the device code keeps that `prompt`, but `prompt` is no parameter of the device
 * endpoints, so the pages that decide the code read their parameters without it. Only here is it
 * read back.
 */
export function deviceAsksFreshSignIn(deviceCodeParams: Record<string, unknown> | undefined): boolean {
  const prompt = deviceCodeParams?.prompt;
  return typeof prompt === 'string' && prompt.split(' ').includes('login');
}

/**
 * The login prompt's answer to a device that sent max_age=0. Without it the strictest max_age was
 * the only one ignored: a browser signed in days before handed the device its account at one press
 * of Allow, with that old auth_time, though the device had asked for a sign-in now (OpenID Connect
 * Core §3.1.2.1). A login handed over in this very sign-in satisfies it.
 */
export const deviceFreshSignIn = loginCheck('device_max_age_zero', (ctx: KoaContextWithOIDC) => {
  if (ctx.oidc.result?.login) return Check.NO_NEED_TO_PROMPT;
  return deviceAsksFreshSignIn(ctx.oidc.deviceCode?.params as Record<string, unknown> | undefined) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
});
