import type { NextStep } from './next-step.ts';

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

  constructor(status: number, code: string, title: string, message: string, headers: Record<string, string> = {}, { expose = status < 500, nextStep }: { expose?: boolean; nextStep?: NextStep } = {}) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.title = title;
    this.expose = expose;
    this.headers = headers;
    this.nextStep = nextStep;
  }
}

export class InvalidRequest extends HttpError {
  constructor(message: string) {
    super(400, 'invalid_request', 'That request did not work', message);
  }
}

export class PayloadTooLarge extends HttpError {
  constructor(limitBytes: number) {
    super(413, 'payload_too_large', 'Too much data', `The form sent more than ${limitBytes} bytes.`);
  }
}

/**
 * A body over `maxBodyBytes` sent to one of oidc-provider's endpoints (oidc/cap-provider-bodies.ts).
 * Its code is OAuth's (RFC 6749 §5.2 invalid_request), which apps and their libraries know.
 */
export class RequestBodyTooLarge extends HttpError {
  constructor(limitBytes: number) {
    super(413, 'invalid_request', 'Too much data', `The request body is larger than ${limitBytes} bytes.`);
  }
}

export class UnsupportedMediaType extends HttpError {
  constructor() {
    super(415, 'unsupported_media_type', 'Unsupported form', 'Send this form as application/x-www-form-urlencoded.');
  }
}

export class CsrfRejected extends HttpError {
  constructor() {
    super(403, 'csrf_rejected', 'This form has expired', 'The form was not sent from this page, or the page is out of date. Go back, reload the page and try again.');
  }
}

/**
 * The sign-in this page or form belongs to is gone. Its page cannot be the next step, so the error
 * page leads on only to `nextStep` (the sign-in page when this browser's sign-in is in fact still
 * there), else to the account page.
 */
export class SignInExpired extends HttpError {
  constructor(message = 'This sign-in has expired or was already completed. Go back to the app and start again.', nextStep?: NextStep) {
    super(400, 'sign_in_expired', 'This sign-in has ended', message, {}, { nextStep });
  }
}

/** A used or expired link, opened in the browser whose sign-in goes on: not "ended", and back to it. */
export class LinkNoLongerWorks extends HttpError {
  constructor(currentStep: NextStep) {
    super(400, 'link_no_longer_works', 'This link no longer works', 'This sign-in link was already used, or it has expired. Your sign-in is still open: go back to it to continue, or to get a new link.', {}, { nextStep: currentStep });
  }
}

/** A page or form of a step the sign-in has moved past (the back button, a second tab): the sign-in goes on. */
export class StepAlreadyDone extends HttpError {
  constructor(signInPage: NextStep) {
    super(400, 'step_already_done', 'This step is already done', 'Your sign-in has moved on to its next step.', {}, { nextStep: signInPage });
  }
}

export class NotFound extends HttpError {
  constructor() {
    super(404, 'not_found', 'Page not found', 'There is nothing at this address.');
  }
}

export class ServiceUnavailable extends HttpError {
  constructor(message = 'Sign-in is briefly unavailable. Please try again in a moment.', retryAfterSeconds = 5) {
    // Exposed although a 5xx: the message is ours and tells the person what to do.
    super(503, 'temporarily_unavailable', 'Temporarily unavailable', message, { 'Retry-After': String(retryAfterSeconds) }, { expose: true });
  }
}

/** Past `mailQueue.ceiling` (mail/mail-ceiling.ts): no new sign-in mail is queued until the queue drains. */
export class MailQueueFull extends ServiceUnavailable {
  constructor() {
    super('Too many emails are waiting to be sent right now, so no new email was sent. Please try again in a few minutes.', 60);
  }
}

/** Over a rate limit: 429 with Retry-After, the same for every address (RFC 6585 §4). */
export class RateLimited extends HttpError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, message: string) {
    super(429, 'rate_limited', 'Please wait before trying again', `${message} ${describeWait(retryAfterSeconds)}`, { 'Retry-After': String(retryAfterSeconds) });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

function describeWait(seconds: number): string {
  if (seconds < 90) return 'Try again in a minute.';
  return `Try again in about ${Math.ceil(seconds / 60)} minutes.`;
}
