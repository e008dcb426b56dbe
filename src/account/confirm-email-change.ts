import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { mayMoveAccountTo } from '../accounts/signup-policy.ts';
import type { EmailChangeLimits } from '../auth/email-change-limits.ts';
import { clientIpSubject } from '../http/client-ip.ts';
import { queryMessage } from '../http/outcome-query.ts';
import type { MessageKey } from '../i18n/catalogues.ts';
import { translatorOf } from '../i18n/page-language.ts';
import { CODE_ENTRIES_LIMITED } from '../interaction/start-limit-checks.ts';
import { utcMinuteWithoutZone } from '../mail/mail-message.ts';
import type { AuditEvent } from '../observability/audit-log.ts';
import type { AccountDeps } from './account-deps.ts';
import type { AccountSession } from './account-session.ts';
import { showEmailChangeProblem } from './request-email-change.ts';

type CodeRejection = Extract<AuditEvent, { event: 'email_change.code_rejected' }>;

/** Why the code form is shown again; fixed texts. Problems that need a new code go to the address form. */
const PROBLEMS = {
  wrong: 'emailConfirm.problem.wrong',
  'code-shape': 'emailConfirm.problem.codeShape',
} as const satisfies Record<string, MessageKey>;

function showCodeProblem(ctx: Context, problem: keyof typeof PROBLEMS) {
  ctx.status = 303;
  ctx.redirect(`/account/email/confirm?problem=${problem}`);
}

/** GET /account/email/confirm — where the code from the new mailbox goes, while one is pending. */
export function createShowEmailChangeCode({ config, emailChanges }: Pick<AccountDeps, 'config' | 'emailChanges'>) {
  return async function showEmailChangeCode(ctx: Context) {
    const account: Account = ctx.state.account;
    const pending = await emailChanges.pending(account.id);
    if (!pending) return ctx.redirect('/account/email');
    const problem = queryMessage(ctx, 'problem', PROBLEMS);
    if (problem) ctx.status = 400;
    const { t } = translatorOf(ctx);
    await ctx.render('account-email-confirm', {
      to: pending.to,
      codeLength: config.signInCode.length,
      expiresAtUtc: t('time.utc', { time: utcMinuteWithoutZone(pending.expiresAt) }),
      minutesLeft: Math.max(1, Math.round((pending.expiresAt.getTime() - Date.now()) / 60_000)),
      error: problem && t(problem),
    });
  };
}

/**
 * POST /account/email/confirm — the right code moves the account to the new address (same `sub`,
 * authenticator, recovery codes and remembered browsers), and both mailboxes hear of it. Guessing
 * is capped per code (accountArea.emailChangeMaxWrongAttempts), per client IP (the sign-in routes'
 * code-entry budget), per account (each new code needs a request, which is rate-limited) and per
 * new address (its lockout streak, which holds under concurrency; mails to it have a budget of
 * their own).
 */
export function createConfirmEmailChange({ config, accounts, endAccountSessions, emailChanges, notices, rateLimits, lockout, sessions, audit, limits }: Pick<AccountDeps, 'config' | 'accounts' | 'endAccountSessions' | 'emailChanges' | 'notices' | 'rateLimits' | 'lockout' | 'sessions' | 'audit'> & { limits: EmailChangeLimits }) {
  const codeShape = new RegExp(`^\\d{${config.signInCode.length}}$`);
  return async function confirmEmailChange(ctx: Context) {
    const account: Account = ctx.state.account;
    await rateLimits.enforce([[limits.codeEntriesPerIp, clientIpSubject(ctx)]], CODE_ENTRIES_LIMITED);
    // People copy "123 456" or "123-456" from the mail: keep only the digits.
    const code = String(ctx.state.form.code ?? '').slice(0, 64).replace(/[\s-]/g, '');
    if (!codeShape.test(code)) return showCodeProblem(ctx, 'code-shape');
    // A guess at a change code is a guess at the new address, from whichever account: it counts
    // against that address's streak of wrong codes, as a sign-in code would (emailChanges.redeem
    // counts it, a right code before it is honoured), and a locked address takes no code (answered
    // as a wrong one, which tells nothing). Without this, accounts and IPs in numbers could go on
    // guessing codes for an address nobody has yet.
    const pending = await emailChanges.pending(account.id);
    const rejected = (reason: CodeRejection['reason']) => audit.record({ event: 'email_change.code_rejected', accountId: account.id, address: pending?.to, reason });
    if (pending && (await lockout.isLocked(pending.to))) {
      rejected('locked');
      return showCodeProblem(ctx, 'wrong');
    }
    const result = await emailChanges.redeem(account.id, code);
    if (!result.ok) {
      rejected(result.reason);
      return result.reason === 'wrong' ? showCodeProblem(ctx, 'wrong') : showEmailChangeProblem(ctx, result.reason);
    }
    // Locks are keyed by address: the right code ends the new address's streak of wrong codes, as a
    // right sign-in code does (finish-login, before the app's and sign-up rules are applied), whether
    // or not the move can be made; the old address keeps its own (README "The account page"). The
    // code was counted in that streak before it was honoured (auth/email-change-codes.ts): a move
    // that fails below must not leave it there, where at the last try it would lock the address.
    await lockout.recordSuccess(result.to);
    // Asked for before a restart set SIGNUP_DOMAINS: the rule holds when the move is made, not only
    // when it was asked for (the code, now spent, lived 10 minutes).
    if (!mayMoveAccountTo(config, result)) return showEmailChangeProblem(ctx, 'outside-domains');
    // Both mailboxes hear of the move: their notices are held before it is made (mail/security-notices.ts).
    const held = await Promise.all([
      notices.holdFromBrowser(ctx, { email: result.from }, 'email-changed', { otherAddress: result.to }),
      notices.holdFromBrowser(ctx, { email: result.to }, 'email-now-sign-in-address', { otherAddress: result.from }),
    ]);
    // The code proved the mailbox; whether the address is still free is decided here, atomically.
    // Taken (by a sign-up meanwhile, or all along: then no mail held this code and it was guessed):
    // one generic answer, and no account is merged or touched.
    const changed = await accounts.changeEmail(account.id, result.from, result.to, { proven: true });
    if (!changed.ok) {
      await Promise.all(held.map((notice) => notice.cancel()));
      return showEmailChangeProblem(ctx, changed.reason === 'taken' ? 'unavailable' : 'expired');
    }
    await Promise.all(held.map((notice) => notice.release()));
    // The account has moved because its owner wanted it elsewhere, often because the old mailbox is
    // lost or read by someone else: whatever was signed in with it (browsers, apps' tokens) ends,
    // and the apps of those browsers are told. This page's session goes on, begun again now.
    await accounts.signOutEverywhere(account.id);
    await endAccountSessions(account.id, { ctx });
    // No longer tied to this browser's Sesame session, which just ended with the others.
    const { sessionUid: _ended, ...session }: AccountSession = ctx.state.accountSession;
    sessions.write(ctx, { ...session, issuedAt: await accounts.nowSecondsFor(account.id) });
    audit.record({ event: 'email.changed', accountId: account.id });
    ctx.status = 303;
    ctx.redirect('/account?done=email-changed');
  };
}
