import type { MessageKey } from '../i18n/catalogue.ts';
import { translatorOf } from '../i18n/page-language.ts';
import { errors as oidcErrors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { clientDisplayName } from '../interaction/client-name.ts';
import type { SesameOidcAccount } from '../oidc/find-account.ts';
import type { ProviderHooks } from '../oidc/provider-config.ts';
import { sharingOf } from '../interaction/sharing-notice.ts';
import { DeviceCodeDecidedElsewhere, DeviceCodeRevoked } from '../oidc/store-adapter.ts';
import { deviceAsksFreshSignIn } from '../oidc/device-fresh-sign-in.ts';
import { ANOTHER_ACCOUNT } from '../oidc/device-another-account.ts';
import { displayUserCode, normaliseUserCode } from './user-codes.ts';
import { keepWrongUserCode, wrongUserCodeOf } from './wrong-user-code.ts';

type DeviceFlowFeature = NonNullable<NonNullable<Configuration['features']>['deviceFlow']>;

/** Where oidc-provider's device pages live (its routes.code_verification). */
export const DEVICE_PAGE = '/device';
/** The pages a device sign-in ends on: Sesame's own, outside the library (device-flow/router.ts). */
export const DEVICE_CONNECTED_PAGE = '/device/connected';
export const DEVICE_DENIED_PAGE = '/device/denied';
/**
 * Where the confirmation page's "Allow" and "Don't allow" post: the library's /device, marked so
 * that Sesame can tell a decision from a code entry before the library reads the form
 * (device-flow/limit-code-entries.ts). The mark proves nothing: what it allows is checked.
 */
export const DEVICE_DECISION_ACTION = `${DEVICE_PAGE}?step=decision`;
/**
 * The confirmation page ("Connect … on your device?"): where the right code's entry leads (303), so
 * that reload and Back ask for this page again instead of sending the code again. It shows the
 * code this browser's session last entered and found (device-flow/looked-up-user-codes.ts): the
 * code is in no address.
 */
export const DEVICE_CONFIRMATION_PAGE = `${DEVICE_PAGE}?step=confirm`;
/** ctx.state key: the user code (normalised) this request's entry found: the confirmation page's, remembered for this browser. */
export const LOOKED_UP_USER_CODE = 'lookedUpUserCode';
/** ctx.state key: on the confirmation page, the user code (normalised) it is for, if this browser has one waiting. */
export const CONFIRMING_USER_CODE = 'confirmingUserCode';

export function isConfirmationPage(ctx: { querystring: string }): boolean {
  return new URLSearchParams(ctx.querystring).get('step') === 'confirm';
}

export function isDecisionForm(ctx: { querystring: string }): boolean {
  return new URLSearchParams(ctx.querystring).get('step') === 'decision';
}

/**
 * Why the code form is shown again (`/device?error=…`): a fixed key and its text, never words from
 * the request (http/outcome-query.ts).
 */
export const DEVICE_CODE_ERRORS = {
  'no-code': 'deviceCode.error.noCode',
  'wrong-code': 'deviceCode.error.wrongCode',
  expired: 'deviceCode.error.expired',
  used: 'deviceCode.error.used',
  'form-expired': 'deviceCode.error.formExpired',
  // The resume of a sign-in that "Allow" started: Allow spent the code the device still shows.
  ended: 'deviceCode.error.ended',
  failed: 'deviceCode.error.failed',
  // The confirmation page again (Back after Allow, a reload long after): nothing waits for a decision.
  'confirmation-answered': 'deviceCode.error.confirmationAnswered',
} as const satisfies Record<string, MessageKey>;
type DeviceCodeError = keyof typeof DEVICE_CODE_ERRORS;

/** The library's re-render errors (lib/helpers/re_render_errors.js, not exported) by name, and what the form then says. */
const ERROR_OF_REFUSED_CODE: Readonly<Record<string, DeviceCodeError>> = {
  NoCodeError: 'no-code',
  NotFoundError: 'wrong-code',
  ExpiredError: 'expired',
  AlreadyUsedError: 'used',
};

/**
 * oidc-provider's device pages in Sesame's own templates (views/device-*.ejs, with the usual head,
 * foot, nonce and headers), in place of its built-in markup. The library keeps the logic: it
 * looks the code up, checks its `xsrf` field against the secret it keeps in the browser's session,
 * and runs the sign-in. A refused code and every outcome (connected, denied) is a redirect to a
 * page of its own (Post/Redirect/Get, as Sesame's other forms), so a reload sends neither again;
 * so is the right code's confirmation (DEVICE_CONFIRMATION_PAGE).
 */
export function deviceFlowPages(renderPage: ProviderHooks['renderPage'], findAccount: ProviderHooks['findAccount'], { secureCookies }: { secureCookies: boolean }): Pick<DeviceFlowFeature, 'userCodeInputSource' | 'userCodeConfirmSource' | 'successSource'> {
  return {
    // GET /device (the form), and every error of the code's pages and of the sign-in's resume.
    async userCodeInputSource(ctx, _form, out, err) {
      if (err) {
        leaveUnsavedSessionUnsaved(ctx);
        const status = (err as { statusCode?: number }).statusCode ?? 500;
        // Ours or the store's failure (503: Redis unreachable, store/store-unavailable.ts): the form
        // again, saying so, with the status the library set.
        if (status >= 500) {
          const { t } = translatorOf(ctx);
          const error = status === 503 ? t('deviceCode.error.unavailable') : t('error.generic.message');
          return renderPage(ctx, 'device-code', { xsrf: xsrfOf(ctx), userCode: '', error });
        }
        ctx.status = 303;
        // Denied on the confirmation page, on the consent page, or "Cancel" during the sign-in.
        if (err.name === 'AbortedError') return ctx.redirect(DEVICE_DENIED_PAGE);
        const refusal = refusalOf(err, out?.error);
        // The library hands back what was typed (re_render_errors.js): the form shows it again.
        if (refusal === 'wrong-code') keepWrongUserCode(ctx, (err as { userCode?: unknown }).userCode, { secure: secureCookies });
        return ctx.redirect(`${DEVICE_PAGE}?error=${refusal}`);
      }
      if (isConfirmationPage(ctx)) return showConfirmation(ctx);
      const error = errorKeyOf(ctx.query.error);
      const userCode = (error === 'wrong-code' ? wrongUserCodeOf(ctx) : '') || (ctx.state.prefilledUserCode ?? '');
      // The library sets no status on its pages: without this they went out as Koa's default 404.
      ctx.status = 200;
      return renderPage(ctx, 'device-code', { xsrf: xsrfOf(ctx), userCode, error: error && translatorOf(ctx).t(DEVICE_CODE_ERRORS[error]) });
    },

    // The code is right: remembered for this browser (device-flow/limit-code-entries.ts), and on to
    // the confirmation page, whose address a reload or Back asks for again (Post/Redirect/Get).
    async userCodeConfirmSource(ctx, _form, _client, _deviceInfo, userCode) {
      // The entry was counted and the code found: the decision on that page need not count again.
      ctx.state[LOOKED_UP_USER_CODE] = ctx.oidc.entities.DeviceCode?.userCode ?? normaliseUserCode(userCode);
      ctx.status = 303;
      ctx.redirect(DEVICE_CONFIRMATION_PAGE);
    },

    async successSource(ctx) {
      ctx.status = 303;
      ctx.redirect(DEVICE_CONNECTED_PAGE);
    },
  };

  /**
   * The confirmation page: which app, what it gets, and the warning against remote phishing
   * (RFC 8628 §5.4), for the code this browser entered, while that code waits for a decision. Its
   * form carries the xsrf secret the library's GET has just made, so a reload gives a working form.
   */
  async function showConfirmation(ctx: KoaContextWithOIDC) {
    const userCode: unknown = ctx.state[CONFIRMING_USER_CODE];
    const deviceCode = typeof userCode === 'string' ? await ctx.oidc.provider.DeviceCode.findByUserCode(userCode, { ignoreExpiration: true }).catch(undefinedIfGone) : undefined;
    const refusal: DeviceCodeError | undefined = !deviceCode ? 'confirmation-answered' : deviceCode.isExpired ? 'expired' : deviceCode.error || deviceCode.accountId || deviceCode.inFlight ? 'confirmation-answered' : undefined;
    const client = deviceCode?.clientId && !refusal ? await ctx.oidc.provider.Client.find(deviceCode.clientId) : undefined;
    if (!deviceCode || !client) {
      ctx.status = 303;
      return ctx.redirect(`${DEVICE_PAGE}?error=${refusal ?? 'failed'}`);
    }
    const params = (deviceCode.params ?? {}) as Record<string, unknown>;
    // A browser signed in to Sesame already: Allow hands the device this account at once, with
    // no sign-in after it, so the page names it (a shared computer, someone else's session).
    // Undefined for an account this app does not take, and when the device asked for a sign-in
    // now (max_age=0): Allow then asks for an address. Named, it comes with a second Allow that
    // asks for one all the same (oidc/device-another-account.ts): a shared computer, or a person
    // with a work and a private account, gives the device another account without signing out first.
    const accountId = deviceAsksFreshSignIn(params) ? undefined : ctx.oidc.session?.accountId;
    const account = accountId ? ((await findAccount(ctx, accountId)) as SesameOidcAccount | undefined) : undefined;
    ctx.status = 200;
    await renderPage(ctx, 'device-confirm', {
      xsrf: xsrfOf(ctx),
      action: DEVICE_DECISION_ACTION,
      userCode: displayUserCode(normaliseUserCode(deviceCode.userCode ?? '')),
      clientName: clientDisplayName(client.clientName ?? client.clientId),
      sharing: sharingOf(params),
      signedInAs: account?.email ?? '',
      anotherAccount: ANOTHER_ACCOUNT,
    });
  }
}

/** A user code whose record went with its grant (DeviceCodeRevoked): it was used. */
function undefinedIfGone(error: unknown): undefined {
  if (error instanceof DeviceCodeRevoked) return undefined;
  throw error;
}

/**
 * Before it shows an error of these pages the library puts a fresh xsrf secret into the browser's
 * session, after its session middleware has finished: a session that was never saved (a form
 * posted without its session cookie, a resume opened in another browser) is then left changed,
 * and the library's last step tries to update it in storage and throws (oidc-provider 9.13.3:
 * "persist can only be called on previously persisted Sessions"), a 500. The answer to an error
 * is a redirect to the form, which makes a secret of its own: this one is not needed.
 */
function leaveUnsavedSessionUnsaved(ctx: KoaContextWithOIDC) {
  const session = ctx.oidc.session as { exp?: unknown; touched?: boolean } | undefined;
  if (session && typeof session.exp !== 'number') session.touched = false;
}

/** The form's CSRF secret: the library keeps it in the browser's session and checks it on POST (lib/shared/xsrf.js). */
function xsrfOf(ctx: KoaContextWithOIDC): string {
  return (ctx.oidc.session?.state as { secret?: string } | undefined)?.secret ?? '';
}

function refusalOf(err: Error, error: string | undefined): DeviceCodeError {
  const refused = ERROR_OF_REFUSED_CODE[err.name];
  if (refused) return refused;
  // Allowed or denied in another browser at the same moment: that decision stands.
  if (err instanceof DeviceCodeDecidedElsewhere) return 'used';
  // Allowed, and its grant revoked since (its record went with it, the user code stayed).
  if (err instanceof DeviceCodeRevoked) return 'used';
  // The resume of a sign-in this browser no longer holds (its cookie gone, the back button).
  if (err instanceof oidcErrors.SessionNotFound) return 'ended';
  // The form's xsrf did not match the session's: a second tab, or a form older than the last one.
  if (error === 'invalid_request') return 'form-expired';
  return 'failed';
}

function errorKeyOf(value: unknown): DeviceCodeError | undefined {
  return typeof value === 'string' && Object.hasOwn(DEVICE_CODE_ERRORS, value) ? (value as DeviceCodeError) : undefined;
}
