import type { Context, Next } from 'koa';
import { errors as oidcErrors } from 'oidc-provider';
import type { Logger } from '../logger.ts';
import { isRedisUnavailable } from '../store/store-unavailable.ts';
import { HttpError, MailQueueFull, NotFound, ServiceUnavailable, SignInExpired } from './errors.ts';
import { nextStepAfterError, nextStepIn } from './next-step.ts';
import { translatorOf } from '../i18n/page-language.ts';
import { inEnglish, type MessageRef } from '../i18n/translate.ts';

const SOMETHING_WENT_WRONG: MessageRef = { key: 'error.generic.message' };
import { wantsJson } from './wants-json.ts';

/**
 * The outermost middleware: decides what the user sees for every error of ours. Stack traces and
 * internal messages never leave the process; a 5xx says only "Something went wrong" and a request id.
 */
export function createErrorHandler({ logger, jsonOnly = false }: { logger: Logger; /** For endpoints that never render a page: every error is JSON. */ jsonOnly?: boolean }) {
  return async function handleErrors(ctx: Context, next: Next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined && ctx.respond !== false) throw new NotFound();
      // oidc-provider answers an outage itself (503 temporarily_unavailable): add the retry hint there too.
      if (ctx.status === 503 && !ctx.response.get('Retry-After')) ctx.set('Retry-After', '5');
    } catch (thrown) {
      const error = toHttpError(thrown);
      // A full mail queue has its own line (mail/mail-ceiling.ts), not one per refused request.
      if (error instanceof MailQueueFull) logger.debug({ path: ctx.path }, 'request refused: mail queue full');
      else if (error.status === 503) logger.warn({ err: (thrown as Error)?.message, requestId: ctx.state.requestId, path: ctx.path }, 'request failed: storage unavailable');
      else if (error.status >= 500) logger.error({ err: thrown, requestId: ctx.state.requestId, path: ctx.path }, 'request failed');
      else logger.debug({ code: error.code, path: ctx.path }, 'request rejected');
      ctx.status = error.status;
      ctx.set(error.headers);
      ctx.set('Cache-Control', 'no-store');
      if (jsonOnly || wantsJson(ctx)) {
        // For programs: in English, as the OAuth error descriptions are.
        ctx.body = { error: error.code, error_description: error.expose ? error.message : inEnglish(SOMETHING_WENT_WRONG), request_id: ctx.state.requestId };
        return;
      }
      // No dead end: back to the page the route belongs to when it outlives the error (this
      // browser's sign-in, the account page), unless the error is that the sign-in is gone.
      const nextStep = error.nextStep ?? (error instanceof SignInExpired ? undefined : nextStepAfterError(ctx));
      const translator = translatorOf(ctx);
      await ctx.render('error', {
        title: error.expose ? error.titleIn(translator) : translator.t('error.generic.title'),
        message: error.expose ? error.messageIn(translator) : translator.say([SOMETHING_WENT_WRONG]),
        code: error.code,
        requestId: ctx.state.requestId,
        nextStep: nextStep && nextStepIn(nextStep, translator),
      });
      ctx.status = error.status;
    }
  };
}

function toHttpError(thrown: unknown): HttpError {
  if (thrown instanceof HttpError) return thrown;
  // interactionDetails() throws this when the cookie is missing or the interaction is gone.
  if (thrown instanceof oidcErrors.SessionNotFound) return new SignInExpired();
  if (isRedisUnavailable(thrown)) return new ServiceUnavailable();
  const status = (thrown as { status?: number })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const e = thrown as { expose?: boolean; message?: string; code?: string };
    return new HttpError(status, e.code ?? 'invalid_request', { key: 'error.request.title' }, e.expose ? (e.message ?? '') : { key: 'error.request.message' });
  }
  return new HttpError(500, 'server_error', { key: 'error.generic.title' }, 'internal error');
}
