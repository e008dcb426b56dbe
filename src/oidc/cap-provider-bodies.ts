import type { IncomingMessage } from 'node:http';
import type { Context, Next } from 'koa';
import { answerJsonError } from '../http/answer-json-error.ts';
import { RequestBodyTooLarge } from '../http/errors.ts';

/**
 * In front of oidc-provider: a request body over `maxBodyBytes` is a 413, as at Sesame's own forms
 * (http/parse-form.ts). The library reads its bodies itself, up to a fixed 56 KiB of its own
 * (lib/shared/selective_body.js LIMIT, not configurable), and answers one over that with a 400:
 * a `maxBodyBytes` above it still ends at the library's 400 there.
 *
 * A declared Content-Length over the limit is refused before anything is read. A body sent in
 * chunks has no length to check first: the library reads it through `req.iterator()`, so that is
 * where it is counted; past the limit the read fails, the library answers its 400, and that
 * answer is replaced with the 413.
 *
 * The answer is JSON unless the request prefers HTML, the library's own rule for its errors
 * (lib/shared/error_handler.js): a program calling /token or /request gets invalid_request, a
 * browser posting the device or sign-out form the error page.
 */
export function capProviderBodies({ maxBodyBytes }: { maxBodyBytes: number }) {
  return async function providerBodyCap(ctx: Context, next: Next) {
    const declared = ctx.request.length;
    if (declared !== undefined && declared > maxBodyBytes) return refuse(ctx, maxBodyBytes);
    const overflowed = countReadsOfBody(ctx.req, maxBodyBytes);
    await next();
    if (!overflowed()) return;
    // The library's answer to its failed read is not given: no redirect back to the device form.
    ctx.remove('Location');
    ctx.remove('WWW-Authenticate');
    return refuse(ctx, maxBodyBytes);
  };
}

function refuse(ctx: Context, maxBodyBytes: number) {
  // Answer, then drop the connection instead of reading the rest of the body.
  ctx.set('Connection', 'close');
  const error = new RequestBodyTooLarge(maxBodyBytes);
  if (ctx.accepts('json', 'html') === 'html') throw error;
  answerJsonError(ctx, error);
}

/** Makes `req.iterator()` fail once more than `limitBytes` have been read; the answer says whether it did. */
function countReadsOfBody(req: IncomingMessage, limitBytes: number): () => boolean {
  let overflowed = false;
  const read = req.iterator.bind(req);
  req.iterator = async function* countedRead(options?: { destroyOnReturn?: boolean }) {
    let received = 0;
    for await (const chunk of read(options)) {
      received += (chunk as Buffer).length;
      if (received > limitBytes) {
        overflowed = true;
        throw new RequestBodyTooLarge(limitBytes);
      }
      yield chunk;
    }
  } as IncomingMessage['iterator'];
  return () => overflowed;
}
