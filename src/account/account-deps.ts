import type { Accounts } from '../accounts/accounts.ts';
import type { SecondFactor } from '../auth/second-factor.ts';
import type { Config } from '../config/config-schema.ts';
import type { SecurityNotices } from '../mail/security-notices.ts';
import type { AccountSessions } from './account-session.ts';
import type { createCodeExchange } from './exchange-code.ts';

/** Everything the /account routes need, passed in by createApp. */
export interface AccountDeps {
  config: Readonly<Config>;
  accounts: Accounts;
  secondFactor: SecondFactor;
  notices: SecurityNotices;
  sessions: AccountSessions;
  exchangeCode: ReturnType<typeof createCodeExchange>;
}
