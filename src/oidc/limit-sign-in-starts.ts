import type { MessageRef } from '../i18n/translate.ts';
import type { Context, Next } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { RateLimit } from '../auth/rate-limiter.ts';
import { answerJsonError } from '../http/answer-json-error.ts';
import { clientIpSubject } from '../http/client-ip.ts';
import { RateLimited } from '../http/errors.ts';
import type { RateLimitGuard } from '../http/rate-limit.ts';
import { oidcRecordKey, oidcSessionUidKey, oidcUserCodeKey, pushedRequestStartedKey } from '../store/keys.ts';
import type { Store } from '../store/store.ts';

export const SIGN_INS_STARTED_LIMITED: MessageRef = { key: 'error.rateLimited.signInStarts' };

/** The library's routes that answer a program in JSON: refused in JSON too, whatever the request accepts. */
const JSON_ROUTES = new Set(['device_authorization', 'pushed_authorization_request']);

/**
 * In front of oidc-provider: what it keeps in Redis for someone who has not signed in counts
 * against the client IP's budget (an IPv6 /64: http/client-ip.ts). Without it, anyone could fill
 * Redis, and under `noeviction` a full Redis refuses every write, every person's sign-in included:
 * each GET /auth keeps a sign-in (up to about 25 KB, the request's parameters twice) for
 * ttl.interactionSeconds, each POST /device/auth a device code (up to its body, maxBodyBytes:
 * oidc/cap-provider-bodies.ts) for deviceFlow.userCodeSeconds and an hour after, each pushed
 * request (/request) about one and a half times its body for a minute, and each GET of /device or
 * /session/end a session for its form's secret. The library limits none of them.
 *
 * Counted after the library wrote, so the count travels in the request's batch of writes
 * (store/request-scope.ts) and the sign-in path has no round trip more; over the budget, what was
 * just written is deleted again and the answer is a 429 with Retry-After. A signed-in browser
 * whose app needs no prompt gets its code without a record of this kind, and is not counted.
 *
 * A sign-in through a pushed request counts once: at /request. The first /auth on that
 * request_uri makes the sign-in its push was counted for, and is free; any later one (a reload,
 * or someone reusing it to make sign-ins: the library keeps a pushed request usable until a
 * sign-in through it ends at the app) counts as usual. A request_uri never pushed, expired or
 * used up makes nothing: the library refuses it.
 */
export function limitSignInStarts({ rateLimits, perIp, store }: { rateLimits: RateLimitGuard; perIp: RateLimit; store: Pick<Store, 'delete' | 'setIfAbsent'> }) {
  return async function signInStartLimit(ctx: Context, next: Next) {
    await next();
    const oidc = (ctx as Context & Partial<Pick<KoaContextWithOIDC, 'oidc'>>).oidc;
    if (!oidc) return;
    const made = recordsMadeForStranger(oidc, ctx.cookies.get(oidc.provider.cookieName('session'), { signed: false }));
    if (made.length === 0 || madeForAuthenticatedApp(oidc)) return;
    if (await isFirstStartOfPushedRequest(oidc, store)) return;
    try {
      await rateLimits.enforce([[perIp, clientIpSubject(ctx)]], SIGN_INS_STARTED_LIMITED);
    } catch (error) {
      if (!(error instanceof RateLimited)) throw error;
      await store.delete(...made);
      // The library's answer is not given: no redirect to the sign-in it had made, no cookie for it.
      ctx.remove('Location');
      ctx.remove('Set-Cookie');
      if (!JSON_ROUTES.has(oidc.route)) throw error;
      answerJsonError(ctx, error);
    }
  };
}

/**
 * A pushed request or a device code asked for by an app that authenticated with its secret: an
 * app's server, often one address for all its users (a busy app using PAR would exhaust the
 * budget of its own IP), and no stranger. Whoever holds the secret is the app, which the operator
 * registered. A public client (no secret) can be anyone, and counts.
 */
function madeForAuthenticatedApp(oidc: KoaContextWithOIDC['oidc']): boolean {
  if (oidc.route !== 'pushed_authorization_request' && oidc.route !== 'device_authorization') return false;
  const method = oidc.client?.clientAuthMethod;
  return method !== undefined && method !== 'none';
}

/**
 * Whether this request is the first to start a sign-in on its pushed request (counted when it was
 * pushed). Of two at once, one. The mark, a few bytes, is made once per pushed request, each
 * counted, and lasts no longer than it.
 */
async function isFirstStartOfPushedRequest(oidc: KoaContextWithOIDC['oidc'], store: Pick<Store, 'setIfAbsent'>): Promise<boolean> {
  const pushed = (oidc.entities as Partial<Record<string, { jti: string; exp?: number }>>).PushedAuthorizationRequest;
  if (oidc.route !== 'authorization' || !pushed) return false;
  // A pushed request lives at most a minute (the library's MAX_TTL).
  const secondsLeft = pushed.exp === undefined ? 60 : Math.max(1, pushed.exp - Math.floor(Date.now() / 1000));
  return store.setIfAbsent(pushedRequestStartedKey(pushed.jti), 1, secondsLeft);
}

/** The keys of the records this request made for a browser or device that has not signed in. */
function recordsMadeForStranger(oidc: KoaContextWithOIDC['oidc'], cookieSessionId: string | undefined): string[] {
  const made: string[] = [];
  const { Interaction: interaction, DeviceCode: deviceCode, PushedAuthorizationRequest: pushed } = oidc.entities as Partial<Record<string, { jti: string; userCode?: string }>>;
  // At /auth the only Interaction is the one just made (resuming one is the route `resume`).
  if (oidc.route === 'authorization' && interaction) made.push(oidcRecordKey('Interaction', interaction.jti));
  if (oidc.route === 'device_authorization' && deviceCode) made.push(oidcRecordKey('DeviceCode', deviceCode.jti), ...(deviceCode.userCode ? [oidcUserCodeKey(deviceCode.userCode)] : []));
  if (oidc.route === 'pushed_authorization_request' && pushed) made.push(oidcRecordKey('PushedAuthorizationRequest', pushed.jti));
  // A session saved for the first time without an account: it holds a form's secret (the device
  // page's, the sign-out confirmation's). The library marks a session it made in this request
  // `new`, and gives it an expiry only when it saves it. For a cookie naming a session it cannot
  // find (expired, deleted) it makes one under a new id, not marked `new` (lib/models/session.js
  // get): that cookie's signature stays good, so sent again and again it would make a record each time.
  const session = oidc.session as (KoaContextWithOIDC['oidc']['session'] & { new?: boolean; destroyed?: boolean }) | undefined;
  const madeNow = session?.new || session?.jti !== cookieSessionId;
  if (session && madeNow && session.exp !== undefined && !session.destroyed && !session.accountId) made.push(oidcRecordKey('Session', session.jti), oidcSessionUidKey(session.uid));
  return made;
}
