import type { Context } from 'koa';
import type { Config } from '../config/config-schema.ts';
import { SignInExpired } from '../http/errors.ts';
import { queryKey, withOutcome } from '../http/outcome-query.ts';
import { DEFAULT_LOCALE, SUPPORTED_LOCALES } from '../i18n/locales.ts';
import { speakLanguage, translatorOf } from '../i18n/page-language.ts';
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
 * reading "expired". What it shows (the address that was approved, and for a device's sign-in the
 * device's app) rides in a signed cookie scoped to that page, so only the browser that approved
 * sees it.
 */
export function showApprovedAfterRedirect(ctx: Context, config: Readonly<Config>, uid: string, email: string, device?: { clientName?: string }) {
  const path = pagePath(uid);
  approvalCookie(cookiesAreSecure(config.issuer)).write(ctx, approvalValue(email, device), { maxAgeSeconds: SHOWN_FOR_SECONDS, path });
  ctx.status = 303;
  // The page speaks the sign-in's language, as the link's page did: it reads no interaction to learn
  // it. English, the default, needs no word (the page's address is as it always was).
  const locale = translatorOf(ctx).locale;
  ctx.redirect(withOutcome(path, { lang: locale === DEFAULT_LOCALE ? undefined : locale }));
}

/** GET /interaction/:uid/link/approved */
export async function showLinkApproved(ctx: Context) {
  const locale = queryKey(ctx, 'lang', SUPPORTED_LOCALES);
  if (locale) speakLanguage(ctx, locale);
  const raw = approvalCookie(false).read(ctx);
  if (!raw) throw new SignInExpired([{ key: 'error.ended.nothingToShow' }, { key: 'error.ended.goBackToSignIn' }]);
  const { email, device } = readApprovalValue(raw);
  await ctx.render('link-approved', { email, forDevice: device !== undefined, clientName: device?.clientName ?? '' });
}

// The cookie's value: the address in base64url, and for a device's sign-in a second part after a
// dot (never in base64url): its app's name, empty when unknown. A value set before devices were
// told apart has one part and reads as an app's, as it was.
function approvalValue(email: string, device: { clientName?: string } | undefined): string {
  const address = Buffer.from(email, 'utf8').toString('base64url');
  return device ? `${address}.${Buffer.from(device.clientName ?? '', 'utf8').toString('base64url')}` : address;
}

function readApprovalValue(raw: string): { email: string; device?: { clientName?: string } } {
  const [address = '', clientName] = raw.split('.');
  const email = Buffer.from(address, 'base64url').toString('utf8');
  if (clientName === undefined) return { email };
  const name = Buffer.from(clientName, 'base64url').toString('utf8');
  return { email, device: name ? { clientName: name } : {} };
}
