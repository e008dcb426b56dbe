import Provider, { interactionPolicy, type AdapterPayload, type KoaContextWithOIDC } from 'oidc-provider';
import { loginCheck } from './login-check.ts';

const { Check } = interactionPolicy;

/**
 * "Allow with another account" on the device's confirmation page (views/device-confirm.ejs): the
 * value its button gives the form's `confirm` field. The library takes any `confirm` as Allow
 * (lib/actions/code_verification.js), so this is the same decision, posted to the same action,
 * counted as Allow is (device-flow/limit-code-entries.ts); it only adds a sign-in after it.
 */
export const ANOTHER_ACCOUNT = 'another-account';

/** The login prompt's reason when the person chose it: the email form says what follows (interaction/show-prompt.ts). */
export const DEVICE_ANOTHER_ACCOUNT = 'device_another_account';

/**
 * Where the choice is kept: a key of the device code's `params`. The library saves `params` with
 * every later write of the code (DeviceCode's IN_PAYLOAD; a key of the code's own would be dropped
 * when it is read back) and reads from it only the authorization parameters it knows, so this one
 * changes nothing else. A device cannot send it: /device/auth keeps only known parameters.
 */
const RECORDED = 'sesame_another_account';

/**
 * The decision's write of the device code (oidc/store-adapter.ts), with the choice recorded when
 * the form that made it was "Allow with another account". The form is the library's, parsed by
 * it, and read here from the request the write is made in (Provider.ctx).
 */
export function withChoiceOfAccount(payload: AdapterPayload): AdapterPayload {
  if (payload.inFlight !== true || !choseAnotherAccount(Provider.ctx as KoaContextWithOIDC | undefined)) return payload;
  return { ...payload, params: { ...(payload.params ?? {}), [RECORDED]: true } };
}

function choseAnotherAccount(ctx: KoaContextWithOIDC | undefined): boolean {
  return ctx?.oidc?.route === 'code_verification' && (ctx.oidc.body as { confirm?: unknown } | undefined)?.confirm === ANOTHER_ACCOUNT;
}

/**
 * The login prompt's answer to "Allow with another account": a sign-in, though the browser has a
 * session, so that the device gets the account proven now; a login handed over in this very
 * sign-in satisfies it (as for max_age=0, oidc/device-fresh-sign-in.ts). In the request that
 * decided, the form says so (the library's entity of the code is the one it had before the
 * write); on every later step of the sign-in (its resume at /device/{uid}), the recorded choice,
 * so that opening the resume before signing in does not hand over the session's account after all.
 */
export const deviceAnotherAccount = loginCheck(DEVICE_ANOTHER_ACCOUNT, (ctx: KoaContextWithOIDC) => {
  if (ctx.oidc.result?.login) return Check.NO_NEED_TO_PROMPT;
  const recorded = (ctx.oidc.deviceCode?.params as Record<string, unknown> | undefined)?.[RECORDED] === true;
  return recorded || choseAnotherAccount(ctx) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
});
