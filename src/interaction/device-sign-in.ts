import { DEVICE_PAGE } from '../device-flow/device-pages.ts';
import { SignInExpired, type ErrorWords } from '../http/errors.ts';
import { inEnglish, type MessageRef, type Translator } from '../i18n/translate.ts';
import type { NextStep } from '../http/next-step.ts';
import type { Interaction } from './load-interaction.ts';

/**
 * An interaction started by a device's user code at /device (RFC 8628) rather than by an app's
 * /auth request: oidc-provider names the device code it will decide.
 */
export function isDeviceSignIn(interaction: Interaction): boolean {
  return typeof (interaction as { deviceCode?: unknown }).deviceCode === 'string';
}

/**
 * The sign-in pages' "Cancel" button. An app's sign-in goes back to the app (its redirect with
 * access_denied); a device's has no app page to go back to: cancelling tells the device
 * access_denied and shows "The device was not connected" (device-flow/device-pages.ts).
 */
export function cancelLabelOf(interaction: Interaction, clientName: string, { t }: Pick<Translator, 't'>): string {
  return isDeviceSignIn(interaction) ? t('cancel.device') : t('cancel.app', { clientName });
}

/**
 * What a device's sign-in that cannot go on tells the person to do. An app's says "go back to the
 * app and start again"; a device has no page to go back to, and its user code is spent or about to
 * be: the device starts again and shows a new code, which is entered at /device.
 */
export const START_AGAIN_ON_DEVICE: MessageRef = { key: 'error.ended.startAgainOnDevice' };

/**
 * The "This sign-in has ended" error of a sign-in: `appMessage` for an app's, and for a device's the
 * same first sentence with the device's way to start again, leading on to /device, not to an app.
 */
export function signInEnded(interaction: Interaction, appMessage: readonly MessageRef[]): SignInExpired {
  return isDeviceSignIn(interaction) ? deviceSignInEnded(appMessage) : new SignInExpired(appMessage);
}

/** The device's version of an app's "This sign-in has ended" message (`appMessage`). */
export function deviceSignInEnded(appMessage: ErrorWords): SignInExpired {
  const message: ErrorWords = typeof appMessage === 'string' ? `${firstSentenceOf(appMessage)} ${inEnglish(START_AGAIN_ON_DEVICE)}` : [firstSentenceRefOf(appMessage), START_AGAIN_ON_DEVICE];
  return new SignInExpired(message, enterNewCode());
}

/** An error's first sentence, where it is said as catalogue messages: its first message. */
function firstSentenceRefOf(message: MessageRef | readonly MessageRef[]): MessageRef {
  return Array.isArray(message) ? message[0]! : (message as MessageRef);
}

/** Read at call time: device-flow/device-pages.ts imports this module too. */
function enterNewCode(): NextStep {
  return { href: DEVICE_PAGE, label: { key: 'next.enterNewCode' } };
}

function firstSentenceOf(message: string): string {
  return /^[^.]*\./.exec(message)?.[0] ?? message;
}
