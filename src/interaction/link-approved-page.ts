import type { Context } from 'koa';
import type { Config } from '../config/config-schema.ts';
import { SignInExpired } from '../http/errors.ts';
import { cookiesAreSecure } from '../http/secure-cookies.ts';

const APPROVAL_COOKIE = 'sesame_approval';
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
  ctx.cookies.set(APPROVAL_COOKIE, Buffer.from(email, 'utf8').toString('base64url'), {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure: cookiesAreSecure(config.issuer),
    path,
    maxAge: SHOWN_FOR_SECONDS * 1000,
    overwrite: true,
  });
  ctx.status = 303;
  ctx.redirect(path);
}

/** GET /interaction/:uid/link/approved */
export async function showLinkApproved(ctx: Context) {
  const raw = ctx.cookies.get(APPROVAL_COOKIE, { signed: true });
  if (!raw) throw new SignInExpired('There is nothing to show here: this page belongs to the device that approved a sign-in. Go back to the app to sign in.');
  await ctx.render('link-approved', { email: Buffer.from(raw, 'base64url').toString('utf8') });
}
