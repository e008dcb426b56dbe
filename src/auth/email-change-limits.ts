import type { Config } from '../config/config-schema.ts';
import type { RateLimit } from './rate-limiter.ts';
import { signInLimits } from './sign-in-limits.ts';

export interface EmailChangeLimits {
  /** Codes mailed for one account: each request sends a mail to an address of the person's choosing. */
  requestsPerAccount: RateLimit;
  requestsPerIp: RateLimit;
  /** Mails to one new address, whichever accounts ask: five accounts must not mail-bomb it 25 times. */
  requestsPerRecipient: RateLimit;
  /** The sign-in routes' budget: a code typed on the account page is a guess like any other. */
  codeEntriesPerIp: RateLimit;
}

/** The named budgets of changing an account's address, from config/default.json (the names are part of the Redis keys). */
export function emailChangeLimits(config: Pick<Config, 'rateLimits'>): EmailChangeLimits {
  return {
    requestsPerAccount: { name: 'email-change-account', ...config.rateLimits.emailChangePerAccount },
    requestsPerIp: { name: 'email-change-ip', ...config.rateLimits.emailChangePerIp },
    requestsPerRecipient: { name: 'email-change-recipient', ...config.rateLimits.emailChangePerRecipient },
    codeEntriesPerIp: signInLimits(config).codeEntriesPerIp,
  };
}
