import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context, Next } from 'koa';
import { summariseUserAgent } from '../auth/device-summary.ts';
import type { LockoutStreak } from '../auth/lockout.ts';
import { hmacSha256 } from '../auth/secrets.ts';
import { clientAddress } from '../http/client-ip.ts';
import type { Logger } from '../logger.ts';

/**
 * Every security event Sesame records, one JSON line each (README "Audit log"). A closed set: a
 * SIEM rule written against these names and fields keeps working, and a new event is a change
 * to this type, the README's table and the tests, never a free-form log call.
 *
 * No field carries a secret (a code, link, token, session id, cookie, authenticator secret or
 * recovery code), and none an email address: an account is named by its id; an address that is
 * not looked up as an account (a sign-in before the code is right, a lock, the new address of a
 * change) is passed in as `address` and written only as `emailHash`, a keyed hash (see `emailHashOf`).
 */
export type AuditEvent =
  // Sign-in (the interaction routes and oidc-provider's events)
  | { event: 'sign_in.mail_requested'; clientId: string; address: string }
  | { event: 'sign_in.code_rejected'; clientId: string; address: string; reason: 'wrong' | 'expired' | 'too-many-attempts' }
  | { event: 'sign_in.link_number_rejected'; clientId: string | undefined; address: string }
  | { event: 'sign_in.completed'; accountId: string; clientId: string | undefined; amr: string[]; acr: string | undefined }
  | { event: 'sign_in.single_sign_on'; accountId: string; clientId: string }
  | { event: 'second_factor.rejected'; accountId: string; clientId: string; factor: 'totp' | 'recovery_code'; reason: 'wrong' | 'replayed' | 'too-many-attempts' | 'locked' | 'secret-unreadable' }
  | { event: 'lockout.begun'; streak: LockoutStreak; address: string }
  | { event: 'recovery_code.used'; accountId: string; clientId: string }
  | { event: 'device.denied'; clientId: string; accountId?: string }
  // The account: created, changed, deleted (the sign-in routes, /account, the CLI)
  | { event: 'account.created'; accountId: string; clientId?: string }
  | { event: 'second_factor.added'; accountId: string; clientId?: string }
  | { event: 'second_factor.removed'; accountId: string }
  | { event: 'second_factor.reset'; accountId: string; removedAuthenticator: boolean; forgottenBrowsers: number }
  | { event: 'recovery_codes.renewed'; accountId: string }
  | { event: 'remembered_browser.forgotten'; accountId: string; which: 'one' | 'all' }
  | { event: 'email_change.requested'; accountId: string; address: string }
  | { event: 'email_change.code_rejected'; accountId: string; address: string | undefined; reason: 'wrong' | 'expired' | 'too-many-attempts' | 'locked' }
  | { event: 'email.changed'; accountId: string }
  /** The name itself is never written: `named` says whether there is one now. */
  | { event: 'account.name_changed'; accountId: string; named: boolean }
  | { event: 'account.deleted'; accountId: string }
  | { event: 'account.exported'; accountId: string }
  // Sessions and apps
  | { event: 'session.signed_out'; accountId: string; clientId: string | undefined; allApps: boolean }
  | { event: 'browsers.signed_out'; accountId: string; which: 'one' | 'others'; sessionsEnded: number }
  | { event: 'account.signed_out_everywhere'; accountId: string }
  | { event: 'app_access.removed'; accountId: string; clientId: string; grantsRevoked: number }
  | { event: 'token.refreshed'; clientId: string; accountId: string }
  | { event: 'token.reuse_detected'; clientId: string | undefined; accountId: string | undefined; grantType: string | undefined }
  | { event: 'backchannel_logout.failed'; clientId: string; stage: 'queue' | 'delivery'; reason: string }
  // Only from the CLI
  | { event: 'account.viewed'; accountId: string }
  | { event: 'accounts.listed'; count: number }
  | { event: 'lockout.lifted'; address: string; wasLocked: { signInCodes: boolean; secondFactor: boolean } }
  | { event: 'signing_keys.created'; kids: string[] }
  | { event: 'signing_key.added'; kid: string; alg: string }
  | { event: 'signing_key.promoted'; kid: string; forced: boolean }
  | { event: 'signing_key.retired'; kid: string; forced: boolean }
  // The operator's clients file, reloaded on SIGHUP: which apps it added, removed or changed, by client id.
  | { event: 'clients.reloaded'; added: string[]; removed: string[]; changed: string[] };

export type AuditEventName = AuditEvent['event'];

/** Where an event happened, when no request says so: the command line, the mail worker, or the operator's signal (a reload). */
export type FixedAuditOrigin = { via: 'cli'; /** `user remove`: never its arguments, which are addresses. */ command: string; operator?: string } | { via: 'mail-worker' } | { via: 'signal'; signal: 'SIGHUP' };

export interface AuditLog {
  /**
   * Writes one audit line. Inside a request (see `trackRequests`) it carries that request's
   * `requestId`, client `ip` and `browser`; a log made `withOrigin` carries that origin instead.
   */
  record(event: AuditEvent): void;
  /** Koa middleware: events recorded while this request is handled carry its origin. `browser: false` for the apps' API endpoints, whose user agent is an app's HTTP library. */
  trackRequests(options: { browser: boolean }): (ctx: Context, next: Next) => Promise<unknown>;
  /** The same log for work outside any request. */
  withOrigin(origin: FixedAuditOrigin): AuditLog;
}

export interface AuditLogOptions {
  /** Sesame's logger: audit lines go where its lines go, at level info whatever its level is. */
  logger: Logger;
  /** Keys `emailHash`. */
  hmacKey: string;
  /** AUDIT_LOG=off: nothing is written. @default true */
  enabled?: boolean;
}

interface TrackedRequest {
  ctx: Context;
  browser: boolean;
}

/** The pseudonym of an address in audit lines: HMAC-SHA-256 under HMAC_KEY, for this purpose only (base64url). */
export function emailHashOf(hmacKey: string, address: string): string {
  return hmacSha256(hmacKey, 'audit-email', address);
}

/**
 * The audit trail. Its lines are written at level info through a child logger with a level of its
 * own, so LOG_LEVEL=warn, which quiets the request lines, does not quiet them; AUDIT_LOG=off does.
 * The child keeps the parent's redaction: a field named like a secret would still be censored.
 */
export function createAuditLog({ logger, hmacKey, enabled = true }: AuditLogOptions): AuditLog {
  const lines = logger.child({ audit: true }, { level: enabled ? 'info' : 'silent' });
  const requests = new AsyncLocalStorage<TrackedRequest>();

  function originOfRequest(tracked: TrackedRequest): Record<string, unknown> {
    const { ctx } = tracked;
    return {
      via: 'http',
      ip: clientAddress(ctx),
      ...(tracked.browser ? { browser: summariseUserAgent(ctx.get('user-agent')) } : {}),
      requestId: ctx.state.requestId,
    };
  }

  function logWith(fixedOrigin: FixedAuditOrigin | undefined): AuditLog {
    return {
      record(event) {
        if (!enabled) return;
        const { address, ...fields } = event as AuditEvent & { address?: string };
        const line: Record<string, unknown> = fields;
        if (address !== undefined) line.emailHash = emailHashOf(hmacKey, address);
        const tracked = fixedOrigin ? undefined : requests.getStore();
        Object.assign(line, fixedOrigin ?? (tracked ? originOfRequest(tracked) : {}));
        lines.info(line);
      },
      trackRequests({ browser }) {
        return (ctx, next) => requests.run({ ctx, browser }, next);
      },
      withOrigin: (origin) => logWith(origin),
    };
  }
  return logWith(undefined);
}
