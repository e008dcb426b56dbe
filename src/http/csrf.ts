import type { Context } from 'koa';
import { constantTimeEqual, hmacSha256 } from '../auth/secrets.ts';
import { CsrfRejected } from './errors.ts';

/**
 * CSRF tokens bound to one interaction: an HMAC of its uid under the server key, so a page of
 * another origin can neither read nor compute it. Paired with a Fetch Metadata / Origin check.
 */
export function createCsrf({ hmacKey, issuer }: { hmacKey: string; issuer: string }) {
  const issuerOrigin = new URL(issuer).origin;
  const tokenFor = (scope: string) => hmacSha256(hmacKey, 'csrf', scope);

  return {
    tokenFor,
    /** Throws CsrfRejected unless the form came from one of our pages for this scope. */
    verify(ctx: Context, scope: string, submitted: string | undefined) {
      const site = ctx.get('sec-fetch-site');
      if (site && site !== 'same-origin' && site !== 'none') throw new CsrfRejected();
      const origin = ctx.get('origin');
      if (origin && origin !== 'null' && origin !== issuerOrigin) throw new CsrfRejected();
      if (!submitted || !constantTimeEqual(submitted, tokenFor(scope))) throw new CsrfRejected();
    },
  };
}

export type Csrf = ReturnType<typeof createCsrf>;
