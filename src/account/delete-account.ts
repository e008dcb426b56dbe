import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { queryMessage } from '../http/outcome-query.ts';
import { domainsInWords } from '../accounts/signup-policy.ts';
import { translatorOf } from '../i18n/page-language.ts';
import type { MessageKey } from '../i18n/catalogues.ts';
import type { AccountDeps } from './account-deps.ts';

/** Why the confirmation page is shown again; fixed texts, so the query string cannot put words on the page. */
const PROBLEMS = {
  mismatch: 'delete.problem.mismatch',
} as const satisfies Record<string, MessageKey>;

/** GET /account/delete — what deleting means, and the address to type as confirmation. */
export function createConfirmAccountDeletion() {
  return async function confirmAccountDeletion(ctx: Context) {
    const account: Account = ctx.state.account;
    const problem = queryMessage(ctx, 'problem', PROBLEMS);
    if (problem) ctx.status = 400;
    await ctx.render('account-delete', { email: account.email, error: problem && translatorOf(ctx).t(problem) });
  };
}

/**
 * POST /account/delete — deletes the account, its authenticator, recovery codes and remembered
 * browsers (as `user remove` does), mails a notice to the address, and ends this page's session.
 * The apps' tokens stop working (the account is looked up on each use), every browser session of
 * the account ends, and the apps of those sessions that registered a `backchannel_logout_uri` are
 * told. The address may sign up again afterwards, as a new account with a new `sub`.
 */
export function createDeleteAccount({ accounts, endAccountSessions, secondFactor, notices, sessions, audit }: Pick<AccountDeps, 'accounts' | 'endAccountSessions' | 'secondFactor' | 'notices' | 'sessions' | 'audit'>) {
  return async function deleteAccount(ctx: Context) {
    const account: Account = ctx.state.account;
    const form: Record<string, string> = ctx.state.form;
    // Typed, not ticked: deleting is the one change on this page that cannot be undone.
    if ((form.email ?? '').trim().toLowerCase() !== account.email.toLowerCase()) {
      ctx.status = 303;
      return ctx.redirect('/account/delete?problem=mismatch');
    }
    // The notice is held before anything changes (mail/held-mail), then the record is claimed,
    // atomically: of two deletions at once (two browsers, a form sent twice) only the one that took
    // it goes on, so the mailbox hears once and the audit log has one line. The other withdraws its
    // notice and ends as if the account had been gone already: the same page.
    const notice = await notices.holdFromBrowser(ctx, account, 'account-deleted');
    if (await accounts.removeAccount(account)) {
      // After the claim: the authenticator is never taken off an account that goes on existing.
      await secondFactor.remove(account.id);
      await notice.release();
      await endAccountSessions(account.id, { ctx });
      audit.record({ event: 'account.deleted', accountId: account.id });
    } else {
      await notice.cancel();
    }
    sessions.clear(ctx);
    ctx.status = 303;
    ctx.redirect('/account/deleted');
  };
}

/** GET /account/deleted — needs no session: the account it belonged to is gone. */
export function createShowAccountDeleted({ config }: Pick<AccountDeps, 'config'>) {
  return async function showAccountDeleted(ctx: Context) {
    await ctx.render('account-deleted', { signupOpen: config.signup === 'open', newAccountDomains: domainsInWords(config.signupDomains, translatorOf(ctx)) });
  };
}
