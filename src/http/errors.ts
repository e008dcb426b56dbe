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

  constructor(status: number, code: string, title: string, message: string, headers: Record<string, string> = {}, { expose = status < 500 }: { expose?: boolean } = {}) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.title = title;
    this.expose = expose;
    this.headers = headers;
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

export class SignInExpired extends HttpError {
  constructor(message = 'This sign-in has expired or was already completed. Go back to the app and start again.') {
    super(400, 'sign_in_expired', 'This sign-in has ended', message);
  }
}

export class NotFound extends HttpError {
  constructor() {
    super(404, 'not_found', 'Page not found', 'There is nothing at this address.');
  }
}

export class ServiceUnavailable extends HttpError {
  constructor(message = 'Sign-in is briefly unavailable. Please try again in a moment.') {
    // Exposed although a 5xx: the message is ours and tells the person what to do.
    super(503, 'temporarily_unavailable', 'Temporarily unavailable', message, { 'Retry-After': '5' }, { expose: true });
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
