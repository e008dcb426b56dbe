import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import { randomToken } from '../auth/secrets.ts';
import { HttpError } from '../http/errors.ts';
import { ACR_MFA } from '../oidc/acr.ts';
import { MFA_PROMPT } from '../oidc/mfa-request.ts';
import { ACCOUNT_CLIENT_ID } from './account-client.ts';
import type { AccountDeps } from './account-deps.ts';
import { cookiesAreSecure } from '../http/secure-cookies.ts';
import { signedCookie } from '../http/signed-cookie.ts';

/** The account page's sign-ins under way (PKCE verifier, state, nonce): host-only on https, as the session it leads to. */
const flowCookie = (config: AccountDeps['config']) => signedCookie({ name: 'sesame_account_flow', path: '/account', secure: cookiesAreSecure(config.issuer), hostOnly: true });
/** Where a finished sign-in may land: fixed paths only, so `next` can never redirect elsewhere. */
const NEXT_PAGES = new Set(['/account', '/account/totp/enroll', '/account/totp/remove', '/account/recovery-codes', '/account/email', '/account/email/confirm', '/account/delete']);

interface Flow {
  verifier: string;
  state: string;
  nonce: string;
  next: string;
}

// Sign-ins started in other tabs of the same browser keep their own flow: each callback takes the
// one its state names. The newest few are kept; an older one's callback says it expired.
const FLOWS_KEPT = 3;

/**
 * GET /account/sign-in?next=…&fresh=1 — sends the browser through the ordinary /auth flow as the
 * built-in account app (PKCE, state, nonce). `fresh=1` asks for a fresh authenticator check:
 * the MFA acr with prompt=mfa, which re-prompts even a multi-factor session, but never asks for a
 * new email when a session exists. `fresh=email` asks for the email again (prompt=login).
 */
export function createStartAccountSignIn({ config }: Pick<AccountDeps, 'config'>) {
  return function startAccountSignIn(ctx: Context) {
    const next = typeof ctx.query.next === 'string' && NEXT_PAGES.has(ctx.query.next) ? ctx.query.next : '/account';
    const flow: Flow = { verifier: randomToken(), state: randomToken(16), nonce: randomToken(16), next };
    writeFlows(ctx, [flow, ...readFlows(ctx, config)].slice(0, FLOWS_KEPT), config);
    const url = new URL('/auth', config.issuer);
    url.search = new URLSearchParams({
      client_id: ACCOUNT_CLIENT_ID,
      response_type: 'code',
      redirect_uri: `${config.issuer}/account/callback`,
      scope: 'openid email',
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: createHash('sha256').update(flow.verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...(ctx.query.fresh === '1' ? { acr_values: ACR_MFA, prompt: MFA_PROMPT } : {}),
      // The email proven again, whatever the browser's session: see requireRecentSignIn.
      ...(ctx.query.fresh === 'email' ? { prompt: 'login' } : {}),
    }).toString();
    ctx.redirect(url.pathname + url.search);
  };
}

/** GET /account/callback — back from /auth: redeem the code, start the account page's session. */
export function createFinishAccountSignIn({ config, accounts, sessions, exchangeCode, signedInSessionOf }: Pick<AccountDeps, 'config' | 'accounts' | 'sessions' | 'exchangeCode' | 'signedInSessionOf'>) {
  return async function finishAccountSignIn(ctx: Context) {
    const flows = readFlows(ctx, config);
    const flow = typeof ctx.query.state === 'string' ? flows.find((kept) => kept.state === ctx.query.state) : undefined;
    const others = flows.filter((kept) => kept !== flow);
    writeFlows(ctx, others, config);
    if (typeof ctx.query.error === 'string') {
      // "Cancel" on an authenticator check asked for by a page of a session that goes on: back to it.
      if (ctx.query.error === 'access_denied' && sessions.isSignedIn(ctx)) return ctx.redirect('/account');
      throw new HttpError(400, 'sign_in_cancelled', { key: 'accountSignIn.cancelled.title' }, { key: 'accountSignIn.cancelled.message' });
    }
    if (!flow || typeof ctx.query.code !== 'string') {
      throw new HttpError(400, 'invalid_request', { key: 'accountSignIn.expired.title' }, { key: 'accountSignIn.expired.message' });
    }
    const idToken = await exchangeCode(ctx, { code: ctx.query.code, verifier: flow.verifier, nonce: flow.nonce });
    // The Sesame session that just signed in to the page: the page's session is tied to it.
    const browserSession = await signedInSessionOf(ctx);
    if (browserSession?.accountId !== idToken.sub) throw new HttpError(400, 'invalid_request', { key: 'accountSignIn.expired.title' }, { key: 'accountSignIn.ended.message' });
    // Issued by the clock a sign-out's stamp is taken by (accounts.nowSecondsFor), as it is compared with them.
    const issuedAt = await accounts.nowSecondsFor(idToken.sub);
    sessions.write(ctx, { accountId: idToken.sub, sid: randomToken(16), acr: idToken.acr, authTime: idToken.auth_time, issuedAt, sessionUid: browserSession.uid });
    ctx.redirect(flow.next);
  };
}

function readFlows(ctx: Context, config: AccountDeps['config']): Flow[] {
  try {
    const raw = flowCookie(config).read(ctx);
    const flows: unknown = raw ? JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) : [];
    if (!Array.isArray(flows)) return [];
    return flows.filter((flow: Partial<Flow>): flow is Flow => typeof flow?.next === 'string' && NEXT_PAGES.has(flow.next) && typeof flow.verifier === 'string' && typeof flow.state === 'string' && typeof flow.nonce === 'string').slice(0, FLOWS_KEPT);
  } catch {
    return [];
  }
}

/** Kept as long as a sign-in may take. */
function writeFlows(ctx: Context, flows: Flow[], config: AccountDeps['config']) {
  const cookie = flowCookie(config);
  if (flows.length === 0) return cookie.clear(ctx);
  cookie.write(ctx, Buffer.from(JSON.stringify(flows)).toString('base64url'), { maxAgeSeconds: config.ttl.interactionSeconds });
}
