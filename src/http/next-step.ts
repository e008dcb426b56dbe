import type { Context } from 'koa';
import type { MessageRef, Translator } from '../i18n/translate.ts';

/**
 * Where a page that ends something (an error, an ended sign-in, a sign-out) sends the person on,
 * so that no page is a dead end. `href` is a path of Sesame's own or an address from an app's
 * registration (interaction/app-address.ts), never one read from the request: that would make
 * Sesame an open redirector. Without one, the error page offers the account page.
 */
export interface NextStep {
  href: string;
  /** Words of its own, or a catalogue message said in the reader's language. */
  label: string | MessageRef;
}

/** The link's words in the reader's language. */
export function nextStepIn(step: NextStep, translator: Translator): { href: string; label: string } {
  return { href: step.href, label: typeof step.label === 'string' ? step.label : translator.t(step.label.key, step.label.params) };
}

/** The sign-in page of the interaction `uid`: it shows whatever step the sign-in is at. */
export function backToSignIn(uid: string, label: MessageRef = { key: 'next.backToSignIn' }): NextStep {
  return { href: `/interaction/${uid}`, label };
}

/**
 * Set by the routes of a page that is still there after most errors (the sign-in of this browser,
 * the account page): the error page then leads back to it. An error whose page is gone (an ended
 * sign-in) or that knows better names its own (HttpError.nextStep).
 */
export function setNextStepAfterError(ctx: Context, step: NextStep) {
  ctx.state.nextStepAfterError = step;
}

export function nextStepAfterError(ctx: Context): NextStep | undefined {
  return ctx.state.nextStepAfterError;
}
