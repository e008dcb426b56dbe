import { createHash, randomBytes } from 'node:crypto';
import Router from '@koa/router';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Context } from 'koa';
import type { Config } from '../config/config-schema.ts';
import { HttpError } from '../http/errors.ts';
import { devOutboxPageShown, type DevOutbox } from '../mail/dev-outbox.ts';
import { DEMO_CLIENT_ID } from './demo-client.ts';
import { cookiesAreSecure } from '../http/secure-cookies.ts';
import { signedCookie, type SignedCookie } from '../http/signed-cookie.ts';

const BACK_TO_DEMO = { href: '/demo', label: 'Back to the demo app' };

/**
 * Development only: /dev/outbox shows the mail Sesame would have sent, and /demo is a tiny
 * relying party so a newcomer can sign in end to end and read the ID token's claims.
 */
export function createDevRouter({ config, devOutbox }: { config: Readonly<Config>; devOutbox: DevOutbox | undefined }) {
  const router = new Router();
  const redirectUri = `${config.issuer}/demo/callback`;
  // Same rules as oidc-provider's cookies (oidc/provider-config.ts): Lax so it rides along on the
  // top-level redirect back from /auth, Secure whenever the issuer is https.
  const demoCookie = signedCookie({ name: 'sesame_demo', path: '/demo', secure: cookiesAreSecure(config.issuer) });

  if (devOutboxPageShown(config.issuer)) {
    router.get('/dev/outbox', async (ctx) => {
      ctx.set('Cache-Control', 'no-store');
      await ctx.render('dev-outbox', { messages: devOutbox?.messages() ?? [], configured: devOutbox !== undefined });
    });
    router.get('/dev/outbox.json', (ctx) => {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = devOutbox?.messages() ?? [];
    });
  }

  router.get('/demo', async (ctx) => {
    await ctx.render('demo', { result: undefined });
  });

  router.get('/demo/start', (ctx) => {
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    const nonce = randomBytes(16).toString('base64url');
    demoCookie.write(ctx, JSON.stringify({ verifier, state, nonce }), { maxAgeSeconds: 15 * 60 });
    const url = new URL('/auth', config.issuer);
    url.search = new URLSearchParams({
      client_id: DEMO_CLIENT_ID,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      state,
      nonce,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    ctx.redirect(url.href);
  });

  router.get('/demo/callback', async (ctx: Context) => {
    const saved = readDemoCookie(ctx, demoCookie);
    demoCookie.clear(ctx);
    if (ctx.query.error !== undefined) {
      // Whatever came back (empty, repeated) is shown as an error, never mistaken for a success.
      const error = typeof ctx.query.error === 'string' && ctx.query.error !== '' ? ctx.query.error : 'unknown_error';
      return ctx.render('demo', { result: { error, description: typeof ctx.query.error_description === 'string' ? ctx.query.error_description : '' } });
    }
    if (!saved || ctx.query.state !== saved.state || typeof ctx.query.code !== 'string') {
      throw new HttpError(400, 'invalid_request', 'Demo sign-in expired', 'Start the demo sign-in again.', {}, { nextStep: BACK_TO_DEMO });
    }
    const response = await fetch(new URL('/token', config.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: ctx.query.code, redirect_uri: redirectUri, client_id: DEMO_CLIENT_ID, code_verifier: saved.verifier }),
    });
    const tokens = (await response.json()) as { id_token?: string; error?: string; error_description?: string };
    if (!response.ok || !tokens.id_token) {
      return ctx.render('demo', { result: { error: tokens.error ?? 'token_error', description: tokens.error_description ?? '' } });
    }
    const jwks = (await (await fetch(new URL('/jwks', config.issuer))).json()) as Parameters<typeof createLocalJWKSet>[0];
    const { payload } = await jwtVerify(tokens.id_token, createLocalJWKSet(jwks), { issuer: config.issuer, audience: DEMO_CLIENT_ID });
    if (payload.nonce !== saved.nonce) throw new HttpError(400, 'invalid_request', 'Demo sign-in failed', 'The ID token nonce does not match.', {}, { nextStep: BACK_TO_DEMO });
    const logout = new URL('/session/end', config.issuer);
    logout.search = new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: `${config.issuer}/demo`, client_id: DEMO_CLIENT_ID }).toString();
    await ctx.render('demo', { result: { claims: payload, logoutUrl: logout.href } });
  });

  return router;
}

function readDemoCookie(ctx: Context, demoCookie: SignedCookie): { verifier: string; state: string; nonce: string } | undefined {
  try {
    const raw = demoCookie.read(ctx);
    return raw ? JSON.parse(raw) : undefined;
  } catch {
    return undefined;
  }
}
