import type { Context, Next } from 'koa';
import { constantTimeEqual, hmacSha256 } from '../auth/secrets.ts';
import { CsrfRejected } from './errors.ts';
import { parseForm } from './parse-form.ts';

/**
 * What a form's CSRF token is bound to: one sign-in (the oidc-provider interaction uid) or one
 * signed-in account session. The kinds are separate namespaces, so a token minted for one can
 * never pass for the other, even if two ids happened to be equal.
 */
export type CsrfScope = { interaction: string } | { accountSession: string };

const scopeKey = (scope: CsrfScope) => ('interaction' in scope ? `interaction:${scope.interaction}` : `account-session:${scope.accountSession}`);

/**
 * CSRF tokens bound to a scope: an HMAC of it under the server key, so a page of another origin
 * can neither read nor compute it (no cookie needed: the scope's own secret id is the binding).
 * Paired with a Fetch Metadata / Origin check (OWASP CSRF cheat sheet, "defense in depth").
 */
export function createCsrf({ hmacKey, issuer }: { hmacKey: string; issuer: string }) {
  const issuerOrigin = new URL(issuer).origin;
  const tokenFor = (scope: CsrfScope) => hmacSha256(hmacKey, 'csrf', scopeKey(scope));

  return {
    tokenFor,
    /** Throws CsrfRejected unless the form came from one of our pages for this scope. */
    verify(ctx: Context, scope: CsrfScope | undefined, submitted: string | undefined) {
      const site = ctx.get('sec-fetch-site');
      if (site && site !== 'same-origin' && site !== 'none') throw new CsrfRejected();
      const origin = ctx.get('origin');
      if (origin && origin !== 'null' && origin !== issuerOrigin) throw new CsrfRejected();
      if (!scope || !submitted || !constantTimeEqual(submitted, tokenFor(scope))) throw new CsrfRejected();
    },
  };
}

export type Csrf = ReturnType<typeof createCsrf>;

/**
 * Middleware for every state-changing form: parses the size-capped body into ctx.state.form and
 * checks its `csrf` field against the scope of this request. `scopeOf` returns undefined when the
 * request has no scope (no sign-in, no session): the form is refused.
 */
export function requireCsrfForm({ csrf, maxBodyBytes, scopeOf }: { csrf: Csrf; maxBodyBytes: number; scopeOf: (ctx: Context) => CsrfScope | undefined }) {
  return async function readFormWithCsrf(ctx: Context, next: Next) {
    const form = await parseForm(ctx, maxBodyBytes);
    csrf.verify(ctx, scopeOf(ctx), form.csrf);
    ctx.state.form = form;
    return next();
  };
}
