import type Provider from 'oidc-provider';
import type { Accounts } from '../accounts/accounts.ts';
import type { Lockout } from '../auth/lockout.ts';
import type { LoginApprovals } from '../auth/login-approvals.ts';
import type { RetryAddresses } from '../auth/retry-address.ts';
import type { SecondFactor } from '../auth/second-factor.ts';
import type { SignInLimits } from '../auth/sign-in-limits.ts';
import type { SignInCodes } from '../auth/sign-in-codes.ts';
import type { Config } from '../config/config-schema.ts';
import type { Csrf } from '../http/csrf.ts';
import type { RateLimitGuard } from '../http/rate-limit.ts';
import type { Logger } from '../logger.ts';
import type { MailCeiling } from '../mail/mail-ceiling.ts';
import type { MailQueue } from '../mail/mail-queue.ts';
import type { AuditLog } from '../observability/audit-log.ts';
import type { SecurityNotices } from '../mail/security-notices.ts';
import type { RequestScopes } from '../store/request-scope.ts';

/** Everything the interaction routes need, passed in by createApp. */
export interface InteractionDeps {
  config: Readonly<Config>;
  provider: Provider;
  accounts: Accounts;
  signInCodes: SignInCodes;
  approvals: LoginApprovals;
  /** The address of a sign-in whose code died, for the email form that follows. */
  retryAddresses: RetryAddresses;
  secondFactor: SecondFactor;
  mailQueue: MailQueue;
  /** The ceiling on all queued mail: asked before a sign-in mail's code is issued. */
  mailCeiling: MailCeiling;
  notices: SecurityNotices;
  csrf: Csrf;
  rateLimits: RateLimitGuard;
  limits: SignInLimits;
  /** Consecutive wrong codes per address; see auth/sign-in-limits.ts. */
  lockout: Lockout;
  logger: Logger;
  audit: Pick<AuditLog, 'record'>;
  /** This request's unit of work on the store: early reads (src/store/request-scope.ts). */
  scopes: Pick<RequestScopes, 'prefetch' | 'warm' | 'warmClock' | 'remember'>;
}
