import type { Context } from 'koa';
import { withOutcome } from '../http/outcome-query.ts';
import { accountEmailKey } from '../store/keys.ts';
import type { FinishLogin } from './finish-login.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';
import { readAheadSignIn } from './read-ahead-sign-in.ts';
import { sharingAskedWithSignIn } from './sharing-notice.ts';
import type { CheckPageError } from './show-check-email.ts';
import type { EmailPageError } from './show-prompt.ts';

/**
 * POST /interaction/:uid/code — the code typed into the original tab. Guessing is capped three
 * ways: per issued code (signInCode.maxWrongAttempts), per client IP (a rate limit) and per
 * address across sign-ins (the lockout inside signInCodes).
 *
 * A code that is not accepted is answered with a redirect to a page that says why (Post/Redirect/
 * Get), so that reloading it asks nothing again and spends no try: the check page while the code
 * still works, the email form once it does not. The right code goes on exactly as before.
 */
export function createVerifyCode(
  { provider, signInCodes, config, lockout, scopes, retryAddresses, audit }: Pick<InteractionDeps, 'provider' | 'signInCodes' | 'config' | 'lockout' | 'scopes' | 'retryAddresses' | 'audit'>,
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

    const toCheckPage = (error: CheckPageError, attemptsLeft?: number) => {
      ctx.status = 303;
      ctx.redirect(withOutcome(`/interaction/${interaction.uid}/check`, { error, left: attemptsLeft }));
    };
    const toEmailForm = async (error: EmailPageError, email: string | undefined) => {
      // The form fills the address in again from the store: it must not ride in the URL.
      if (email !== undefined) await retryAddresses.remember(interaction.uid, email);
      ctx.status = 303;
      ctx.redirect(withOutcome(`/interaction/${interaction.uid}`, { error }));
    };

    if (!pending) return toEmailForm('code-expired', undefined);
    if (!codeShape.test(code)) return toCheckPage('code-shape');

    // A right code signs in next.
    await readAheadSignIn(scopes, pending.email);
    const result = await signInCodes.redeemCode(interaction.uid, code);
    // Where the code form showed what the app will receive beside its button, consent is given with it.
    if (result.ok) return finishLogin(ctx, interaction, result.email, { consentGiven: (await sharingAskedWithSignIn(provider, interaction)) !== undefined });
    audit.record({ event: 'sign_in.code_rejected', clientId: String(interaction.params.client_id), address: pending.email, reason: result.reason });
    if (result.reason === 'wrong') return toCheckPage('wrong-code', result.attemptsLeft);
    return toEmailForm(result.reason === 'too-many-attempts' ? 'code-spent' : 'code-expired', pending.email);
  };
}
