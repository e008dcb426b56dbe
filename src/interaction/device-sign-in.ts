import type { Interaction } from './load-interaction.ts';

/**
 * An interaction started by a device's user code at /device (RFC 8628) rather than by an app's
 * /auth request: oidc-provider names the device code it will decide.
 */
export function isDeviceSignIn(interaction: Interaction): boolean {
  return typeof (interaction as { deviceCode?: unknown }).deviceCode === 'string';
}
