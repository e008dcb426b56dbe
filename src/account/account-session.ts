import type { Context, Next } from 'koa';
import { detachedPageEnded, sessionEnded, signedOutSince, type Account, type Accounts } from '../accounts/accounts.ts';
import type { Config } from '../config/config-schema.ts';
import { requireCsrfForm, type Csrf, type CsrfScope } from '../http/csrf.ts';
import { HttpError } from '../http/errors.ts';
import { ACR_MFA } from '../oidc/acr.ts';
import { cookiesAreSecure } from '../http/secure-cookies.ts';
import { signedCookie, type SignedCookie } from '../http/signed-cookie.ts';

/**
 * The account page's session cookie. Host-only on https: one planted by a sibling subdomain would
 * open the planter's account page in the visitor's browser.
 */
export function accountSessionCookie(config: Pick<Config, 'issuer'>): SignedCookie {
  return signedCookie({ name: 'sesame_account', path: '/account', secure: cookiesAreSecure(config.issuer), hostOnly: true });
}

/** The account page's own short session, from the ID token Sesame issued to it. Signed, not secret. */
export interface AccountSession {
  accountId: string;
  /** Random per sign-in: binds the CSRF tokens of the account forms to this session. */
  sid: string;
  acr: string;
  /**
   * The uid of the Sesame session of the browser it was signed in from: the page's session ends
   * with that one, so a browser signed out from another (or signed out of Sesame) loses its
   * account page too. Absent where the page outlives its browser's session on purpose (a change
   * of address ends every session but goes on on this page), and in sessions from before: such a
   * page ends with "Sign out every other browser" pressed elsewhere (`detachedPagesEnded`), or
   * once the browser is signed in to Sesame as another account.
   */
  sessionUid?: string;
  /** When the person last authenticated (the ID token's auth_time), epoch seconds. */
  authTime: number;
  issuedAt: number;
}

export class AccountSessionEnded extends HttpError {
  constructor() {
    super(401, 'account_session_ended', { key: 'accountSession.ended.title' }, { key: 'accountSession.ended.message' });
  }
}

export function createAccountSessions({
  config,
  accounts,
  csrf,
  isSessionSignedIn,
  browserSignedInAccountOf,
}: {
  config: Readonly<Config>;
  accounts: Pick<Accounts, 'findById'>;
  csrf: Csrf;
  /** Whether the browser's Sesame session with this uid is still signed in as the account (oidc/session-cookie.ts). */
  isSessionSignedIn: (uid: string, accountId: string) => Promise<boolean>;
  /** The account this browser's Sesame session is signed in as, from its cookie; undefined when none is (oidc/session-cookie.ts). */
  browserSignedInAccountOf: (ctx: Context) => Promise<string | undefined>;
}) {
  const cookie = accountSessionCookie(config);
  const lifetimeSeconds = config.accountArea.sessionSeconds;
  const csrfScope = (session: AccountSession): CsrfScope => ({ accountSession: session.sid });

  function read(ctx: Context): AccountSession | undefined {
    const raw = cookie.read(ctx);
    if (!raw) return undefined;
    try {
      const session = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as AccountSession;
      // The signed issue time bounds the session even if a browser keeps the cookie longer.
      if (typeof session.accountId !== 'string' || typeof session.sid !== 'string' || !(Date.now() / 1000 - session.issuedAt < lifetimeSeconds)) return undefined;
      return session;
    } catch {
      return undefined;
    }
  }

  /**
   * A page tied to no session (left open after a change of address) has no session whose end
   * reaches it; it ends once someone else signs in to Sesame in this browser, who must not find
   * the owner's account here. No session at all, or the owner's again, leaves it open.
   */
  async function noOtherAccountSignedIn(ctx: Context, accountId: string): Promise<boolean> {
    const signedIn = await browserSignedInAccountOf(ctx);
    return signedIn === undefined || signedIn === accountId;
  }

  return {
    write(ctx: Context, session: AccountSession) {
      const value = Buffer.from(JSON.stringify(session)).toString('base64url');
      cookie.write(ctx, value, { maxAgeSeconds: lifetimeSeconds });
    },

    /**
     * Ends the account page's session in this browser. Also called when the person signs out of
     * Sesame itself (app.ts): a shared computer's next user must not find the account page open.
     */
    clear: (ctx: Pick<Context, 'cookies'>) => cookie.clear(ctx),

    /** Whether this browser holds an account session that has not run out (the account is checked by require()). */
    isSignedIn: (ctx: Context) => read(ctx) !== undefined,

    /**
     * Signed in (the email proven, or the authenticator passed) within
     * accountArea.freshSecondFactorSeconds: not an older single sign-on session reused.
     */
    isRecentSignIn(session: AccountSession): boolean {
      return Date.now() / 1000 - session.authTime <= config.accountArea.freshSecondFactorSeconds;
    },

    /** Second-factor checked within accountArea.freshSecondFactorSeconds. */
    isFresh(session: AccountSession): boolean {
      return session.acr === ACR_MFA && Date.now() / 1000 - session.authTime <= config.accountArea.freshSecondFactorSeconds;
    },

    /**
     * Puts the session and its account into ctx.state, or: a page asks to sign in (redirect), a
     * form is refused (401). Sets the CSRF token the page's forms carry.
     */
    require({ forForm }: { forForm: boolean }) {
      return async function requireAccountSession(ctx: Context, next: Next) {
        const session = read(ctx);
        const [found, browserSignedIn] = session
          ? await Promise.all([accounts.findById(session.accountId), session.sessionUid === undefined ? noOtherAccountSignedIn(ctx, session.accountId) : isSessionSignedIn(session.sessionUid, session.accountId)])
          : [undefined, false];
        const account = found && browserSignedIn && !signedOutSince(found, session!.issuedAt) && !sessionEnded(found, session!.sessionUid, session!.issuedAt) && !detachedPageEnded(found, session!) ? found : undefined;
        if (!session || !account) {
          if (session) cookie.clear(ctx);
          if (forForm) throw new AccountSessionEnded();
          return ctx.redirect(`/account/sign-in?next=${encodeURIComponent(ctx.path)}`);
        }
        ctx.state.accountSession = session;
        ctx.state.account = account;
        ctx.state.csrfToken = csrf.tokenFor(csrfScope(session));
        return next();
      };
    },

    /** After require(): parses the form and checks its CSRF token against this account session. */
    readForm() {
      return requireCsrfForm({ csrf, maxBodyBytes: config.maxBodyBytes, scopeOf: (ctx) => ctx.state.accountSession && csrfScope(ctx.state.accountSession) });
    },
  };
}

export type AccountSessions = ReturnType<typeof createAccountSessions>;
