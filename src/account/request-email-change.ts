import { finished } from 'node:stream/promises';
import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { domainsInWords, mayMoveAccountTo, ownDomainOutsideSignupDomains } from '../accounts/signup-policy.ts';
import { parseEmailAddress } from '../auth/email-address.ts';
import type { EmailChangeLimits } from '../auth/email-change-limits.ts';
import { clientIpSubject } from '../http/client-ip.ts';
import { queryMessage } from '../http/outcome-query.ts';
import type { MessageKey } from '../i18n/catalogues.ts';
import { translatorOf } from '../i18n/page-language.ts';
import type { MessageRef } from '../i18n/translate.ts';
import type { AccountDeps } from './account-deps.ts';

/**
 * Why the address form is shown again, by the key in its address; catalogue messages, so the query
 * string cannot put words on the page. The confirmation step sends its dead ends here too: each
 * needs a new code. `outside-domains` is worded with the domains when shown (SIGNUP_DOMAINS).
 */
const PROBLEMS = {
  malformed: 'emailChange.problem.malformed',
  same: 'emailChange.problem.same',
  expired: 'emailChange.problem.expired',
  'too-many-attempts': 'emailChange.problem.tooManyAttempts',
  unavailable: 'emailChange.problem.unavailable',
  'outside-domains': 'emailChange.problem.outside',
} as const satisfies Record<string, MessageKey>;
type EmailChangeProblem = keyof typeof PROBLEMS;

export const EMAIL_CHANGE_LIMITED: MessageRef = { key: 'emailChange.limited' };

/** Sends the browser to the address form with one of PROBLEMS (post/redirect/get). */
export function showEmailChangeProblem(ctx: Context, problem: EmailChangeProblem) {
  ctx.status = 303;
  ctx.redirect(`/account/email?problem=${problem}`);
}

/** GET /account/email — the form for the new address. */
export function createShowEmailChange({ config }: Pick<AccountDeps, 'config'>) {
  const { 'outside-domains': _worded, ...always } = PROBLEMS;
  return async function showEmailChange(ctx: Context) {
    const account: Account = ctx.state.account;
    const translator = translatorOf(ctx);
    const { t } = translator;
    // Where this account may move (SIGNUP_DOMAINS, and a guest's own domain): the form's hint and
    // the refusal's words. Without domains there is no such rule, and an address naming it shows nothing.
    const ownDomain = ownDomainOutsideSignupDomains(config, account.email);
    const ruled = config.signupDomains.length > 0;
    const place = { domains: domainsInWords(config.signupDomains, translator), ownDomain: ownDomain && domainsInWords([ownDomain], translator) };
    const problem = queryMessage(ctx, 'problem', ruled ? PROBLEMS : always);
    if (problem) ctx.status = 400;
    const outside = problem === PROBLEMS['outside-domains'];
    const error = !problem ? undefined : outside ? t(ownDomain ? 'emailChange.problem.outsideWithOwn' : 'emailChange.problem.outside', place) : t(problem);
    // The rule said once: where the refusal says it, the hint does not stand beside it.
    const hint = ruled && !outside ? t(ownDomain ? 'emailChange.ruleWithOwn' : 'emailChange.rule', place) : undefined;
    await ctx.render('account-email', { email: account.email, error, hint });
  };
}

/**
 * POST /account/email — mails a code to the new address; the change waits for it. The same work
 * for every address: nothing on this path asks whether the new address belongs to another account
 * (the mail worker does, off the request path), so the answer and its timing cannot tell.
 */
export function createRequestEmailChange({ config, emailChanges, mailQueue, mailCeiling, rateLimits, audit, limits }: Pick<AccountDeps, 'config' | 'emailChanges' | 'mailQueue' | 'mailCeiling' | 'rateLimits' | 'audit'> & { limits: EmailChangeLimits }) {
  return async function requestEmailChange(ctx: Context) {
    const account: Account = ctx.state.account;
    const parsed = parseEmailAddress(ctx.state.form.email);
    if (!parsed.ok) return showEmailChangeProblem(ctx, 'malformed');
    if (parsed.email === account.email) return showEmailChangeProblem(ctx, 'same');
    // A rule about domains, the same for every address there: it says nothing about who has an account.
    if (!mayMoveAccountTo(config, { from: account.email, to: parsed.email })) return showEmailChangeProblem(ctx, 'outside-domains');
    // Counted before issuing: a refused request must not replace the code of the last mail.
    // The recipient's budget says nothing about whether the address has an account: every address has one.
    await rateLimits.enforce([[limits.requestsPerAccount, account.id], [limits.requestsPerIp, clientIpSubject(ctx)], [limits.requestsPerRecipient, parsed.email]], EMAIL_CHANGE_LIMITED);
    await mailCeiling.assertRoom();
    const issued = await emailChanges.issue(account.id, { from: account.email, to: parsed.email });
    // Delivered once this answer has left (EnqueueOptions.notBefore): the worker's lookup of the
    // address must not show in this answer's timing.
    const answered = finished(ctx.res).catch(() => undefined);
    await mailQueue.enqueue({ kind: 'email-change', to: parsed.email, accountId: account.id, code: issued.code, expiresAt: issued.expiresAt.toISOString(), locale: translatorOf(ctx).locale }, { notBefore: answered });
    // The new address as a keyed hash, as on the sign-in form: it is not looked up here, and may be
    // someone else's (a signed-in browser left open); the line is the same whoever holds it.
    audit.record({ event: 'email_change.requested', accountId: account.id, address: parsed.email });
    ctx.status = 303;
    ctx.redirect('/account/email/confirm');
  };
}
