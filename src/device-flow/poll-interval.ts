import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Store } from '../store/store.ts';
import { devicePollSlotKey } from '../store/keys.ts';

export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * A compliant device's polls may arrive this much closer together than it sent them (a slow
 * first request, a fast second): the window is shorter than the interval by this share.
 */
const ARRIVAL_TOLERANCE = 0.2;

/**
 * How often a device may poll the token endpoint (RFC 8628 §3.2 `interval`, §3.5 `slow_down`).
 * oidc-provider names no interval in its device authorization response (clients then use 5 s) and
 * never answers `slow_down`; this adds both, after the library's route (provider.use).
 *
 * A pending device code's poll opens a window a little shorter than the interval (Store.setIfAbsent
 * with that lifetime: atomic, on every instance); a poll inside the window is answered `slow_down`
 * instead of `authorization_pending`, and the device adds 5 s to its interval. Measured from the
 * poll that opened it, not on a clock grid: with fixed slots, two polls a millisecond apart on
 * either side of a slot's edge were both pending. Only pending polls are paced: an approved,
 * denied or expired code answers at once, and nothing else pays a command.
 */
export function paceDevicePolling({ store, pollIntervalSeconds }: { store: Store; pollIntervalSeconds: number }) {
  const windowMs = pollIntervalSeconds * 1000 * (1 - ARRIVAL_TOLERANCE);
  return async function paceDevicePoll(ctx: KoaContextWithOIDC, next: () => Promise<unknown>) {
    await next();
    const { oidc } = ctx;
    if (oidc?.route === 'device_authorization' && ctx.status === 200 && isObject(ctx.body)) {
      ctx.body = { ...ctx.body, interval: pollIntervalSeconds };
      return;
    }
    if (oidc?.route !== 'token' || oidc.params?.grant_type !== DEVICE_CODE_GRANT_TYPE) return;
    const deviceCode = oidc.params.device_code;
    if (ctx.status !== 400 || (ctx.body as { error?: unknown } | undefined)?.error !== 'authorization_pending' || typeof deviceCode !== 'string') return;
    // Pending means the library found this device code: the window's key is that of a real record.
    const onTime = await store.setIfAbsent(devicePollSlotKey(deviceCode), Date.now(), windowMs / 1000);
    if (!onTime) {
      ctx.body = { error: 'slow_down', error_description: `wait at least the interval (${pollIntervalSeconds} seconds) between polls, and add 5 seconds to it after each slow_down (RFC 8628 section 3.5)` };
    }
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Buffer.isBuffer(value);
}
