import type { Context } from 'koa';
import type { Config } from '../config/config-schema.ts';
import { SignInExpired } from '../http/errors.ts';
import { cookiesAreSecure } from '../http/secure-cookies.ts';
import { signedCookie } from '../http/signed-cookie.ts';

// Scoped to the one page that reads it (its path is given when it is set).
const approvalCookie = (secure: boolean) => signedCookie({ name: 'sesame_approval', path: '/interaction', secure });
/** Long enough to reload the page, or come back to it, while the other device finishes. */
const SHOWN_FOR_SECONDS = 10 * 60;

const pagePath = (uid: string) => `/interaction/${uid}/link/approved`;

/**
 * After a link was confirmed on another device: the page that says so has an address of its own
 * (Post/Redirect/Get), so a reload shows it again instead of sending the spent link once more and
 * reading "expired". What it shows (the address that was approved) rides in a signed cookie scoped
 * to that page, so only the browser that approved sees it.
 */
export function showApprovedAfterRedirect(ctx: Context, config: Readonly<Config>, uid: string, email: string) {
  const path = pagePath(uid);
  approvalCookie(cookiesAreSecure(config.issuer)).write(ctx, Buffer.from(email, 'utf8').toString('base64url'), { maxAgeSeconds: SHOWN_FOR_SECONDS, path });
  ctx.status = 303;
  ctx.redirect(path);
}

/** GET /interaction/:uid/link/approved */
export async function showLinkApproved(ctx: Context) {
  const raw = approvalCookie(false).read(ctx);
  if (!raw) throw new SignInExpired('There is nothing to show here: this page belongs to the device that approved a sign-in. Go back to the app to sign in.');
  await ctx.render('link-approved', { email: Buffer.from(raw, 'base64url').toString('utf8') });
}
