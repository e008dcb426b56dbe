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
export function cancelLabelOf(interaction: Interaction, clientName: string): string {
  return isDeviceSignIn(interaction) ? 'Cancel and don’t connect the device' : `Cancel and go back to ${clientName}`;
}
