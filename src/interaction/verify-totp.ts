import type { Context } from 'koa';
import { summariseUserAgent } from '../auth/device-summary.ts';
import { normalizeRecoveryCode } from '../auth/recovery-codes.ts';
import type { SecondFactorAnswer } from '../auth/second-factor-check.ts';
import { clientIpSubject } from '../http/client-ip.ts';
import { readDeviceCookie, writeDeviceCookie } from '../http/device-cookie.ts';
import { completeSecondFactor } from './complete-second-factor.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';
import type { SecondFactorSubject } from './second-factor-subject.ts';
import { CODE_ENTRIES_LIMITED } from './start-limit-checks.ts';
import { rememberOffered, renderTotpPage } from './show-totp.ts';
import { cookiesAreSecure } from '../http/secure-cookies.ts';

/**
 * POST /interaction/:uid/totp — an authenticator code (`code`) or a recovery code (`recovery_code`).
 * A malformed entry is answered without counting; every real attempt counts against this sign-in,
 * the account, and the lockout, and like an emailed code against the client IP's budget.
 */
export function createVerifyTotp({ provider, secondFactor, notices, config, logger, rateLimits, limits }: Pick<InteractionDeps, 'provider' | 'secondFactor' | 'notices' | 'config' | 'logger' | 'rateLimits' | 'limits'>) {
  const secureCookies = cookiesAreSecure(config.issuer);

  return async function verifyTotp(ctx: Context) {
    const interaction: Interaction = ctx.state.interaction;
    const subject: SecondFactorSubject = ctx.state.secondFactorSubject;
    const form: Record<string, string> = ctx.state.form;
    if (!subject.account.totp) return ctx.redirect(`/interaction/${interaction.uid}/totp/enroll`);

    const again = async (status: number, error: string, errorFor: 'totp' | 'recovery-code') => {
      ctx.status = status;
      await renderTotpPage(ctx, { secondFactor }, { error, errorFor });
    };

    let answer: SecondFactorAnswer;
    if (form.recovery_code !== undefined) {
      const code = form.recovery_code.slice(0, 64);
      if (normalizeRecoveryCode(code) === undefined) return again(400, 'Enter one of your recovery codes: ten letters and digits, like 7k3m9-x2p4q.', 'recovery-code');
      answer = { kind: 'recovery-code', code };
    } else {
      // Apps show "123 456": keep only the digits' shape.
      const code = (form.code ?? '').slice(0, 64).replace(/\s/g, '');
      if (!/^\d{6}$/.test(code)) return again(400, 'Enter the 6-digit code your authenticator app shows.', 'totp');
      answer = { kind: 'totp', code };
    }

    // Before the code is looked at: over the budget, a guess must not be evaluated at all.
    await rateLimits.enforce([[limits.codeEntriesPerIp, clientIpSubject(ctx)]], CODE_ENTRIES_LIMITED);
    const result = await secondFactor.check.verify(subject.account, interaction.uid, answer);
    if (!result.ok) {
      switch (result.reason) {
        case 'not-enrolled':
          return ctx.redirect(`/interaction/${interaction.uid}/totp/enroll`);
        case 'wrong': {
          // At 0 the next code is refused unread: say so now, not after one more try.
          const left = result.attemptsLeft === 0 ? `That was the last try for now: go back to ${subject.clientName} and start again in a while.` : `${result.attemptsLeft} ${result.attemptsLeft === 1 ? 'try' : 'tries'} left.`;
          return answer.kind === 'totp'
            ? again(400, `That code is not right. ${left}`, 'totp')
            : again(400, `That recovery code is not right, or it was already used. ${left}`, 'recovery-code');
        }
        case 'replayed':
          return again(400, 'That code was already used. Wait for your app to show the next one.', answer.kind === 'totp' ? 'totp' : 'recovery-code');
        case 'too-many-attempts':
          ctx.set('Retry-After', String(result.retryAfterSeconds));
          return result.scope === 'sign-in'
            ? again(429, `Too many wrong codes for this sign-in. Go back to ${subject.clientName} and start again.`, answer.kind === 'totp' ? 'totp' : 'recovery-code')
            : again(429, `Too many wrong codes. Wait ${minutes(result.retryAfterSeconds)} and try again.`, answer.kind === 'totp' ? 'totp' : 'recovery-code');
        case 'locked':
          logger.warn({ accountId: subject.account.id }, 'second factor locked: too many wrong codes in a row (npm run cli -- user unlock EMAIL)');
          return again(403, 'Too many wrong codes in a row: the second step of this account is locked. Try again tomorrow, or ask the administrator to unlock it.', answer.kind === 'totp' ? 'totp' : 'recovery-code');
      }
    }

    if (form.remember === 'yes' && rememberOffered(ctx, { secondFactor })) {
      const existing = readDeviceCookie(ctx);
      // One id per browser, even when several accounts are remembered on it.
      const deviceId = secondFactor.devices.isDeviceId(existing) ? existing : secondFactor.devices.newDeviceId();
      await secondFactor.devices.remember(subject.account.id, deviceId, summariseUserAgent(ctx.get('user-agent')));
      writeDeviceCookie(ctx, deviceId, { days: secondFactor.devices.days, secure: secureCookies });
    }
    // One fewer code left, and a sign-in without the authenticator: the holder hears of both.
    if (answer.kind === 'recovery-code') await notices.send(ctx, subject.account, 'recovery-code-used');
    if (subject.kind === 'sign-in') await secondFactor.pending.forget(interaction.uid);
    const returnTo = await completeSecondFactor(provider, ctx, interaction, subject, result.method);
    ctx.status = 303;
    ctx.redirect(returnTo);
  };
}

function minutes(seconds: number): string {
  const m = Math.max(1, Math.ceil(seconds / 60));
  return `${m} minute${m === 1 ? '' : 's'}`;
}
