import type { SupportContact } from '../config/support-contact.ts';
import { translatorOf } from '../i18n/page-language.ts';
import type { Translator } from '../i18n/translate.ts';
import type { Context } from 'koa';
import type { TotpConfirmation, TotpEnrollmentOffer } from '../auth/totp-enrollment.ts';
import { queryKey, withOutcome } from '../http/outcome-query.ts';

/** What views/totp-enroll.ejs needs, for the sign-in and the /account variants alike. */
export interface TotpEnrollPageLocals {
  heading: string;
  intro: string;
  formAction: string;
  /** Where "Cancel" posts; undefined for none. */
  cancelAction?: string;
  cancelLabel?: string;
  /** A plain "back" link instead of a cancel form. */
  backUrl?: string;
  error?: string;
}

export async function renderTotpEnrollPage(ctx: Context, offer: TotpEnrollmentOffer, locals: TotpEnrollPageLocals) {
  await ctx.render('totp-enroll', {
    ...locals,
    error: locals.error,
    qrSvg: offer.qrSvg,
    uri: offer.uri,
    // Groups of four are easier to copy into an app by hand; apps ignore the spaces.
    secretGroups: offer.secret.match(/.{1,4}/g)!.join(' '),
  });
}

/**
 * A HEAD of a set-up page: GET's status and type, without the secret a GET makes. A HEAD must not
 * change state, and its answer has no body to show a secret in; made anyway, it would replace the
 * secret another page of the account is about to confirm (TotpEnrollment.begin).
 */
export function answerHeadWithoutSecret(ctx: Context) {
  ctx.status = 200;
  ctx.type = 'html';
}

/** The 6-digit code from a form field, or undefined when it cannot be one. */
export function enteredTotpCode(value: string | undefined): string | undefined {
  const code = (value ?? '').slice(0, 64).replace(/\s/g, '');
  return /^\d{6}$/.test(code) ? code : undefined;
}

/** Why the first code did not confirm the authenticator; the set-up page's `?error=` (Post/Redirect/Get). */
export const ENROLLMENT_ERRORS = ['code-shape', 'wrong', 'replayed', 'expired', 'replaced'] as const;
export type EnrollmentError = (typeof ENROLLMENT_ERRORS)[number];

/** Where the set-up form's POST sends the browser when the code did not confirm it: its own page, saying why. */
export function enrollmentPageWithError(path: string, error: EnrollmentError): string {
  return withOutcome(path, { error });
}

/** The set-up page's error message, from its address; `support`: who to tell (SUPPORT_CONTACT). */
export function enrollmentErrorOf(ctx: Context, support: SupportContact | undefined): string | undefined {
  const error = queryKey(ctx, 'error', ENROLLMENT_ERRORS);
  // The page's language: a sign-in's, or English on the account page (i18n/page-language.ts).
  const { t } = translatorOf(ctx);
  if (error === 'code-shape') return t('enroll.error.codeShape');
  return error && enrollmentProblem(error, support, t);
}

/** What to tell a person whose first code did not confirm the authenticator. */
function enrollmentProblem(reason: Exclude<TotpConfirmation, { ok: true }>['reason'], support: SupportContact | undefined, t: Translator['t']): string {
  switch (reason) {
    case 'wrong':
      return t('enroll.error.wrong');
    case 'replayed':
      return t('totp.error.used');
    case 'expired':
      return t('enroll.error.expired');
    case 'replaced':
      return support ? t('enroll.error.replacedWithSupport', { support: support.label }) : t('enroll.error.replaced');
    case 'already-enrolled':
      return t('enroll.error.alreadyEnrolled');
  }
}
