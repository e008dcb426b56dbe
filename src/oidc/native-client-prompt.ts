import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

const { Check } = interactionPolicy;

/** The routes of a device's sign-in (RFC 8628): Allow at /device, and the resume after the sign-in it started. */
const DEVICE_ROUTES = new Set(['code_verification', 'device_resume']);

/**
 * oidc-provider's consent check `native_client_prompt`, outside the device flow only. The library
 * asks the person on the consent page every time an app registered with `application_type:
 * "native"` is authorized, even with a grant that covers the request, because a native app's
 * redirect (a custom scheme, a loopback port) can be claimed by another app on the same machine,
 * which would otherwise be authorized in its name without anyone seeing it (RFC 8252 §8.6).
 *
 * A device's sign-in has no redirect to claim: the tokens go to whoever polls with the device
 * code, and the person has just typed the user code and pressed Allow on a page naming the app and
 * what it gets. That is the interaction the check asks for, and Sesame counts it as the consent
 * for every device app (oidc/implied-grant.ts); a second, consent page after it asked the same
 * question again for native apps only. Native apps of the authorization-code flow keep the
 * library's check as it is.
 */
export function nativeClientPromptOutsideDeviceFlow(libraryCheck: interactionPolicy.Check): interactionPolicy.Check {
  return new Check(libraryCheck.reason, libraryCheck.description, libraryCheck.error ?? 'interaction_required', (ctx: KoaContextWithOIDC) =>
    DEVICE_ROUTES.has(ctx.oidc.route) ? Check.NO_NEED_TO_PROMPT : libraryCheck.check(ctx),
  );
}
