import type { Context, Next } from 'koa';
import { displayUserCode, isWellFormedUserCode, normaliseUserCode } from './user-codes.ts';

/**
 * GET /device?user_code=… (the device's `verification_uri_complete`, often a QR code), in front of
 * oidc-provider: the code goes into the form, and the person still presses Continue and then
 * Allow. The library would instead post the code at once from a page of its own with an inline
 * script. A code Sesame could not have issued is dropped rather than shown.
 */
export async function prefillUserCode(ctx: Context, next: Next) {
  const query = new URLSearchParams(ctx.querystring);
  if (query.has('user_code')) {
    const typed = query.getAll('user_code');
    const normalised = typed.length === 1 ? normaliseUserCode(typed[0]!.slice(0, 64)) : '';
    if (isWellFormedUserCode(normalised)) ctx.state.prefilledUserCode = displayUserCode(normalised);
    query.delete('user_code');
    ctx.querystring = query.toString();
  }
  return next();
}
