import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import { SignInExpired, StepAlreadyDone } from '../http/errors.ts';
import { backToSignIn } from '../http/next-step.ts';

export type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * Loads the interaction this browser holds (its cookie is scoped to /interaction/:uid) into
 * ctx.state.interaction. A missing cookie, an expired interaction or a uid that is not this
 * browser's all end the same way: a page that says the sign-in is over. A step the sign-in has
 * moved past leads on to the step it is at.
 */
export function loadInteraction(provider: Provider, expectedPrompt?: 'login' | 'consent') {
  return async function requireInteraction(ctx: Context, next: Next) {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params.uid) throw new SignInExpired();
    if (expectedPrompt && interaction.prompt.name !== expectedPrompt) throw new StepAlreadyDone(backToSignIn(interaction.uid, { key: 'next.continueSigningIn' }));
    ctx.state.interaction = interaction;
    return next();
  };
}

/** The interaction when this browser holds it, undefined otherwise (the link opened on another device). */
export async function interactionOfThisBrowser(provider: Provider, ctx: Context): Promise<Interaction | undefined> {
  try {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    return interaction.uid === ctx.params.uid ? interaction : undefined;
  } catch {
    return undefined;
  }
}

/**
 * After loadInteraction, on the pages of a step: once the login is done (the authenticator was
 * just set up and the recovery codes page is open, say) a reload, the back button or a second tab
 * sends the browser on to the app, instead of showing a step that no longer applies.
 */
export async function continueFinishedSignIn(ctx: Context, next: Next) {
  const interaction: Interaction = ctx.state.interaction;
  if (interaction.result?.login && interaction.returnTo) {
    ctx.status = 303;
    return ctx.redirect(interaction.returnTo);
  }
  return next();
}
