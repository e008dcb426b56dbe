import { inEnglish, type MessageRef, type Translator } from '../i18n/translate.ts';
import type { NextStep } from './next-step.ts';

/** What an error says: words of its own (English only), or catalogue messages said in the reader's language. */
export type ErrorWords = string | MessageRef | readonly MessageRef[];

const refsOf = (words: ErrorWords): readonly MessageRef[] | undefined => (typeof words === 'string' ? undefined : Array.isArray(words) ? words : [words as MessageRef]);

/**
 * An error the user may see. `expose` follows Koa: only errors below 500 show their message;
 * anything else renders "Something went wrong" and a request id.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly expose: boolean;
  /** Heading of the error page. */
  readonly title: string;
  readonly headers: Record<string, string>;
  /** Where the error page leads on, when the place that threw knows better than the route (http/next-step.ts). */
  readonly nextStep: NextStep | undefined;
  /** The heading and message as catalogue messages, when they are (i18n/messages-en.ts); `title` and `message` are then their English. */
  readonly titleRefs: readonly MessageRef[] | undefined;
  readonly messageRefs: readonly MessageRef[] | undefined;

  constructor(status: number, code: string, title: ErrorWords, message: ErrorWords, headers: Record<string, string> = {}, { expose = status < 500, nextStep }: { expose?: boolean; nextStep?: NextStep } = {}) {
    super(typeof message === 'string' ? message : inEnglish(message));
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.titleRefs = refsOf(title);
    this.messageRefs = refsOf(message);
    this.title = typeof title === 'string' ? title : inEnglish(title);
    this.expose = expose;
    this.headers = headers;
    this.nextStep = nextStep;
  }

  /** The heading in the reader's language (English when the error has words of its own). */
  titleIn(translator: Translator): string {
    return this.titleRefs ? translator.say(this.titleRefs) : this.title;
  }

  messageIn(translator: Translator): string {
    return this.messageRefs ? translator.say(this.messageRefs) : this.message;
  }
}

export class InvalidRequest extends HttpError {
  constructor(message: ErrorWords) {
    super(400, 'invalid_request', { key: 'error.request.title' }, message);
  }
}

export class PayloadTooLarge extends HttpError {
  constructor(limitBytes: number) {
    super(413, 'payload_too_large', { key: 'error.tooLarge.title' }, { key: 'error.tooLarge.message', params: { bytes: limitBytes } });
  }
}

/**
 * A body over `maxBodyBytes` sent to one of oidc-provider's endpoints (oidc/cap-provider-bodies.ts).
 * Its code is OAuth's (RFC 6749 §5.2 invalid_request), which apps and their libraries know.
 */
export class RequestBodyTooLarge extends HttpError {
  constructor(limitBytes: number) {
    super(413, 'invalid_request', { key: 'error.tooLarge.title' }, { key: 'error.bodyTooLarge.message', params: { bytes: limitBytes } });
  }
}

export class UnsupportedMediaType extends HttpError {
  constructor() {
    super(415, 'unsupported_media_type', { key: 'error.mediaType.title' }, { key: 'error.mediaType.message' });
  }
}

export class CsrfRejected extends HttpError {
  constructor() {
    super(403, 'csrf_rejected', { key: 'error.csrf.title' }, { key: 'error.csrf.message' });
  }
}

/** "This sign-in has expired or was already completed. Go back to the app and start again." */
export const SIGN_IN_ENDED: readonly MessageRef[] = [{ key: 'error.ended.expired' }, { key: 'error.ended.goBack' }];

/**
 * The sign-in this page or form belongs to is gone. Its page cannot be the next step, so the error
 * page leads on only to `nextStep` (the sign-in page when this browser's sign-in is in fact still
 * there), else to the account page.
 */
export class SignInExpired extends HttpError {
  constructor(message: ErrorWords = SIGN_IN_ENDED, nextStep?: NextStep) {
    super(400, 'sign_in_expired', { key: 'error.ended.title' }, message, {}, { nextStep });
  }
}

/** A used or expired link, opened in the browser whose sign-in goes on: not "ended", and back to it. */
export class LinkNoLongerWorks extends HttpError {
  constructor(currentStep: NextStep) {
    super(400, 'link_no_longer_works', { key: 'error.link.noLongerWorks.title' }, { key: 'error.link.noLongerWorks.message' }, {}, { nextStep: currentStep });
  }
}

/** A page or form of a step the sign-in has moved past (the back button, a second tab): the sign-in goes on. */
export class StepAlreadyDone extends HttpError {
  constructor(signInPage: NextStep) {
    super(400, 'step_already_done', { key: 'error.stepDone.title' }, { key: 'error.stepDone.message' }, {}, { nextStep: signInPage });
  }
}

export class NotFound extends HttpError {
  constructor() {
    super(404, 'not_found', { key: 'error.notFound.title' }, { key: 'error.notFound.message' });
  }
}

export class ServiceUnavailable extends HttpError {
  constructor(message: ErrorWords = { key: 'error.unavailable.message' }, retryAfterSeconds = 5) {
    // Exposed although a 5xx: the message is ours and tells the person what to do.
    super(503, 'temporarily_unavailable', { key: 'error.unavailable.title' }, message, { 'Retry-After': String(retryAfterSeconds) }, { expose: true });
  }
}

/** Past `mailQueue.ceiling` (mail/mail-ceiling.ts): no new sign-in mail is queued until the queue drains. */
export class MailQueueFull extends ServiceUnavailable {
  constructor() {
    super({ key: 'error.mailQueueFull.message' }, 60);
  }
}

/** Over a rate limit: 429 with Retry-After, the same for every address (RFC 6585 §4). */
export class RateLimited extends HttpError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, message: string | MessageRef) {
    const wait = describeWait(retryAfterSeconds);
    super(429, 'rate_limited', { key: 'error.rateLimited.title' }, typeof message === 'string' ? `${message} ${inEnglish(wait)}` : [message, wait], { 'Retry-After': String(retryAfterSeconds) });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

function describeWait(seconds: number): MessageRef {
  if (seconds < 90) return { key: 'error.rateLimited.inAMinute' };
  return { key: 'error.rateLimited.inMinutes', params: { count: Math.ceil(seconds / 60) } };
}
