import type { Context, Next } from 'koa';
import { errors as oidcErrors } from 'oidc-provider';
import type { Config } from '../config/config-schema.ts';
import { SignInExpired } from '../http/errors.ts';
import { cookiesAreSecure } from '../http/secure-cookies.ts';
import { signedCookie } from '../http/signed-cookie.ts';
import { deviceSignInEnded, isDeviceSignIn } from './device-sign-in.ts';
import type { Interaction } from './load-interaction.ts';

/**
 * "The sign-in at this address was a device's", for after it has ended. An expired interaction
 * leaves nothing to tell: its record is gone from the store, and its cookie (`_interaction`, whose
 * Max-Age is the interaction's lifetime) from the browser. Its pages would then say "go back to the
 * app", and a device has no app page to go back to. This signed cookie, set on the sign-in's first
 * page and scoped to that sign-in's pages, outlives it by a day (a tab left open overnight).
 *
 * Its value is the sign-in's uid, and only a mark whose uid is the page's counts: a copy planted on
 * another sign-in's pages (a sibling subdomain can set cookies for this host) changes nothing. At
 * worst a mark only changes which way an ended sign-in's page tells the person to start again.
 */
const deviceSignInCookie = (secure: boolean) => signedCookie({ name: 'sesame_device_sign_in', path: '/interaction', secure });
const KEPT_FOR_SECONDS = 24 * 60 * 60;

/** GET /interaction/:uid, after loadInteraction: marks a device's sign-in in this browser. */
export function markDeviceSignIn({ config }: { config: Readonly<Config> }) {
  const secure = cookiesAreSecure(config.issuer);
  return async function markIfDeviceSignIn(ctx: Context, next: Next) {
    const interaction: Interaction = ctx.state.interaction;
    if (isDeviceSignIn(interaction)) deviceSignInCookie(secure).write(ctx, interaction.uid, { maxAgeSeconds: KEPT_FOR_SECONDS, path: `/interaction/${interaction.uid}` });
    return next();
  };
}

/**
 * Every interaction route: "this sign-in has ended" for a sign-in this browser marked as a
 * device's says to start again on the device and leads to /device, as the device's sign-in says
 * while its interaction is still there (device-sign-in.ts). Errors that name their own next step
 * already know where to lead.
 */
export async function sayWhenDeviceSignInEnded(ctx: Context, next: Next) {
  try {
    await next();
  } catch (error) {
    const ended = error instanceof oidcErrors.SessionNotFound ? new SignInExpired() : error instanceof SignInExpired && !error.nextStep ? error : undefined;
    if (!ended || deviceSignInCookie(false).read(ctx) !== ctx.params.uid) throw error;
    throw deviceSignInEnded(ended.messageRefs ?? ended.message);
  }
}
