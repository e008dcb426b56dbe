import type { Context } from 'koa';
import type { Accounts } from '../accounts/accounts.ts';
import type { EmailChangeCodes } from '../auth/email-change-codes.ts';
import type { Lockout } from '../auth/lockout.ts';
import type { SecondFactor } from '../auth/second-factor.ts';
import type { Config } from '../config/config-schema.ts';
import type { RateLimitGuard } from '../http/rate-limit.ts';
import type { MailCeiling } from '../mail/mail-ceiling.ts';
import type { MailQueue } from '../mail/mail-queue.ts';
import type { AuditLog } from '../observability/audit-log.ts';
import type { AppsWithAccess } from '../oidc/apps-with-access.ts';
import type { BrowserSessions } from '../oidc/browser-sessions.ts';
import type { EndAccountSessions } from '../oidc/end-account-sessions.ts';
import type { SecurityNotices } from '../mail/security-notices.ts';
import type { AccountSessions } from './account-session.ts';
import type { createCodeExchange } from './exchange-code.ts';

/** Everything the /account routes need, passed in by createApp. */
export interface AccountDeps {
  config: Readonly<Config>;
  accounts: Accounts;
  /** Ends the account's browser sessions and tells their apps (oidc/end-account-sessions.ts). */
  endAccountSessions: EndAccountSessions;
  /** The account's signed-in browsers, listed and signed out one by one (oidc/browser-sessions.ts). */
  browserSessions: BrowserSessions;
  /** The apps that can act for the account, and removing one's access (oidc/apps-with-access.ts). */
  appsWithAccess: AppsWithAccess;
  /** This browser's signed-in Sesame session (oidc/session-cookie.ts), which the page's own session is tied to. */
  signedInSessionOf: (ctx: Context) => Promise<{ uid: string; accountId: string } | undefined>;
  secondFactor: SecondFactor;
  notices: SecurityNotices;
  sessions: AccountSessions;
  exchangeCode: ReturnType<typeof createCodeExchange>;
  /** The codes that confirm a change of address (auth/email-change-codes.ts). */
  emailChanges: EmailChangeCodes;
  mailQueue: MailQueue;
  /** The ceiling on all queued mail: asked before a change-of-address code is issued. */
  mailCeiling: MailCeiling;
  rateLimits: RateLimitGuard;
  /** The lockout of wrong codes, keyed by address (auth/sign-in-limits.ts); `unlock` clears every streak. */
  lockout: Lockout;
  audit: Pick<AuditLog, 'record'>;
}
