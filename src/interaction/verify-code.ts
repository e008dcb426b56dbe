import type { Context } from 'koa';
import { accountEmailKey, accountKey } from '../store/keys.ts';
import { clientNameOf } from './client-name.ts';
import type { FinishLogin } from './finish-login.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';
import { sharingAskedWithSignIn } from './sharing-notice.ts';
import { renderCheckEmail } from './show-check-email.ts';

/**
 * POST /interaction/:uid/code — the code typed into the original tab. Guessing is capped three
 * ways: per issued code (signInCode.maxWrongAttempts), per client IP (a rate limit) and per
 * address across sign-ins (the lockout inside signInCodes).
 */
export function createVerifyCode(
  { provider, signInCodes, config, lockout, scopes }: Pick<InteractionDeps, 'provider' | 'signInCodes' | 'config' | 'lockout' | 'scopes'>,
  finishLogin: FinishLogin,
) {
  const codeShape = new RegExp(`^\\d{${config.signInCode.length}}$`);

  return async function verifyCode(ctx: Context) {
    const interaction: Interaction = ctx.state.interaction;
    const form: Record<string, string> = ctx.state.form;
    // People copy "123 456" or "123-456" from the mail: keep only the digits.
    const code = (form.code ?? '').slice(0, 64).replace(/[\s-]/g, '');
    // Read with the interaction (router.ts prefetch): no round trip of its own.
    const pending = await signInCodes.pending(interaction.uid);
    // The per-IP count, the address's lock state and account were started with the interaction's
    // read (start-limit-checks.ts), for the address the form named; read them now if it named another.
    if (pending) scopes.warm([lockout.stateKey(pending.email), accountEmailKey(pending.email)]);
    await (ctx.state.codeEntryLimit as Promise<void>);
    const clientName = await clientNameOf(provider, interaction.params.client_id);
    // What the code page listed beside its button (undefined: it asked for no consent).
    const sharing = await sharingAskedWithSignIn(provider, interaction);

    const again = async (error: string) => {
      ctx.status = 400;
      if (!pending) return ctx.render('email', { clientName, email: '', error });
      await renderCheckEmail(ctx, { clientName, email: pending.email, matchNumber: pending.matchNumber, expiresAt: pending.expiresAt, error, sharing });
    };

    if (!pending) return again('That code has expired. Enter your email address to get a new one.');
    if (!codeShape.test(code)) return again(`Enter the ${config.signInCode.length}-digit code from the email.`);

    // A right code signs in next: start reading the account in the redemption's batch.
    const [accountId] = await scopes.prefetch([accountEmailKey(pending.email)]);
    if (typeof accountId === 'string') scopes.warm([accountKey(accountId)]);
    const result = await signInCodes.redeemCode(interaction.uid, code);
    // Where the code form showed what the app will receive beside its button, consent is given with it.
    if (result.ok) return finishLogin(ctx, interaction, result.email, { consentGiven: sharing !== undefined });
    if (result.reason === 'wrong') {
      return again(`That code is not right. ${result.attemptsLeft} ${result.attemptsLeft === 1 ? 'try' : 'tries'} left.`);
    }
    ctx.status = 400;
    const message =
      result.reason === 'too-many-attempts'
        ? 'Too many wrong codes: that code no longer works. Enter your email address to get a new one.'
        : 'That code has expired. Enter your email address to get a new one.';
    return ctx.render('email', { clientName, email: pending.email, error: message });
  };
}
