import type { Context } from 'koa';
import { summariseUserAgent } from '../auth/device-summary.ts';
import { normalizeRecoveryCode } from '../auth/recovery-codes.ts';
import type { SecondFactorAnswer } from '../auth/second-factor-check.ts';
import { clientIpSubject } from '../http/client-ip.ts';
import { addDeviceId } from '../http/device-cookie.ts';
import { withOutcome } from '../http/outcome-query.ts';
import { completeSecondFactor } from './complete-second-factor.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';
import type { SecondFactorSubject } from './second-factor-subject.ts';
import { CODE_ENTRIES_LIMITED } from './start-limit-checks.ts';
import { rememberOffered, totpPageOutcomeQuery, type TotpPageField, type TotpPageOutcome } from './show-totp.ts';
import { cookiesAreSecure } from '../http/secure-cookies.ts';
import { accountKey } from '../store/keys.ts';

/**
 * POST /interaction/:uid/totp — an authenticator code (`code`) or a recovery code (`recovery_code`).
 * A malformed entry is answered without counting; every real attempt counts against this sign-in,
 * the account, and the lockout, and like an emailed code against the client IP's budget.
 */
export function createVerifyTotp({ provider, accounts, secondFactor, notices, config, logger, audit, rateLimits, limits, scopes }: Pick<InteractionDeps, 'provider' | 'accounts' | 'secondFactor' | 'notices' | 'config' | 'logger' | 'audit' | 'rateLimits' | 'limits' | 'scopes'>) {
  const secureCookies = cookiesAreSecure(config.issuer);

  return async function verifyTotp(ctx: Context) {
    const interaction: Interaction = ctx.state.interaction;
    const subject: SecondFactorSubject = ctx.state.secondFactorSubject;
    const form: Record<string, string> = ctx.state.form;
    if (!subject.account.totp) return ctx.redirect(`/interaction/${interaction.uid}/totp/enroll`);

    // Not accepted: back to the prompt's own address, which says why (Post/Redirect/Get), so that
    // a reload asks nothing again and spends no try.
    const again = (outcome: TotpPageOutcome) => {
      ctx.status = 303;
      ctx.redirect(withOutcome(`/interaction/${interaction.uid}/totp`, totpPageOutcomeQuery(outcome)));
    };

    let answer: SecondFactorAnswer;
    if (form.recovery_code !== undefined) {
      const code = form.recovery_code.slice(0, 64);
      if (normalizeRecoveryCode(code) === undefined) return again({ error: 'shape', field: 'recovery-code' });
      answer = { kind: 'recovery-code', code };
    } else {
      // Apps show "123 456": keep only the digits' shape.
      const code = (form.code ?? '').slice(0, 64).replace(/\s/g, '');
      if (!/^\d{6}$/.test(code)) return again({ error: 'shape', field: 'totp' });
      answer = { kind: 'totp', code };
    }
    const field: TotpPageField = answer.kind === 'totp' ? 'totp' : 'recovery-code';

    // Before the code is looked at: over the budget, a guess must not be evaluated at all.
    await rateLimits.enforce([[limits.codeEntriesPerIp, clientIpSubject(ctx)]], CODE_ENTRIES_LIMITED);
    // A right recovery code is spent as it is checked, and the holder must hear of it: the notice
    // is held before the check (mail/security-notices.ts) and cancelled for a code not taken.
    const notice = answer.kind === 'recovery-code' ? await notices.holdFromBrowser(ctx, subject.account, 'recovery-code-used') : undefined;
    // A right code completes the sign-in, timed by Redis's clock (oidc/acr.ts loginProvenNow): read
    // it with the check's batch rather than in a round trip of its own after it.
    scopes.warmClock(accountKey(subject.account.id));
    const result = await secondFactor.check.verify(subject.account, interaction.uid, answer);
    const clientId = String(interaction.params.client_id);
    if (!result.ok) {
      await notice?.cancel();
      if (result.reason !== 'not-enrolled') audit.record({ event: 'second_factor.rejected', accountId: subject.account.id, clientId, factor: answer.kind === 'totp' ? 'totp' : 'recovery_code', reason: result.reason });
      switch (result.reason) {
        case 'not-enrolled':
          return ctx.redirect(`/interaction/${interaction.uid}/totp/enroll`);
        case 'wrong':
          return again({ error: 'wrong', field, left: result.attemptsLeft });
        case 'replayed':
          return again({ error: 'used', field });
        case 'too-many-attempts':
          return result.scope === 'sign-in'
            ? again({ error: 'spent', field })
            : again({ error: 'account-spent', field, waitMinutes: Math.max(1, Math.ceil(result.retryAfterSeconds / 60)) });
        case 'secret-unreadable':
          logger.error({ accountId: subject.account.id }, 'authenticator secret cannot be opened: the ENCRYPTION_KEYS key it was sealed with is gone (put it back, or npm run cli -- user reset-mfa EMAIL)');
          return again({ error: 'unavailable', field });
        case 'locked':
          logger.warn({ accountId: subject.account.id }, 'second factor locked: too many wrong codes in a row (npm run cli -- user unlock EMAIL)');
          return again({ error: 'locked', field });
      }
    }

    if (form.remember === 'yes' && rememberOffered(ctx, { secondFactor })) {
      // A new id for each account, never one the browser sent: it may carry someone else's (http/device-cookie.ts).
      const deviceId = secondFactor.devices.newDeviceId();
      await secondFactor.devices.remember(subject.account.id, deviceId, summariseUserAgent(ctx.get('user-agent')), subject.account.totp.enrolledAt);
      addDeviceId(ctx, deviceId, { days: secondFactor.devices.days, secure: secureCookies });
    }
    // One fewer code left, and a sign-in without the authenticator: the holder hears of both.
    if (notice) {
      await notice.release();
      audit.record({ event: 'recovery_code.used', accountId: subject.account.id, clientId });
    }
    if (subject.kind === 'sign-in') await secondFactor.pending.forget(interaction.uid);
    const returnTo = await completeSecondFactor(provider, accounts, ctx, interaction, subject, result.method);
    ctx.status = 303;
    ctx.redirect(returnTo);
  };
}
