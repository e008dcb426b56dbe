import type { Store } from '../store/store.ts';
import { rememberedDeviceIndexKey, rememberedDeviceKey } from '../store/keys.ts';
import { hmacSha256, randomToken } from './secrets.ts';

const DEVICE_ID = /^[A-Za-z0-9_-]{43}$/;

interface StoredDevice {
  /** "Firefox on Linux", so a person can tell their browsers apart in the list. */
  label: string;
  createdAt: number;
  expiresAt: number;
  /**
   * The authenticator it was remembered past (its `enrolledAt`): it skips that one only. Removing
   * the authenticator forgets every remembered browser, but a sign-in that checked the old one
   * while it was being removed (on another instance, or a moment before) writes its record after
   * that: without this, such a browser would skip the authenticator set up next. Absent in records
   * from before it was kept; those are honoured as they were.
   */
  enrolment?: string;
}

export interface RememberedDevice {
  /** Names the record in forms; a keyed hash of the device id, so it cannot be turned into a cookie. */
  handle: string;
  label: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface RememberedDevicesOptions {
  store: Store;
  hmacKey: string;
  days: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * "Remember this browser": the browser keeps random device ids in a signed cookie, a new one for
 * each account it remembers, and Sesame keeps a record per account and device. The cookie alone
 * proves nothing: the record must exist for that account, so forgetting a device (on /account, or
 * `user reset-mfa`) takes effect at once.
 */
export function createRememberedDevices({ store, hmacKey, days, now = Date.now }: RememberedDevicesOptions) {
  const ttlSeconds = days * 86_400;
  const handleOf = (deviceId: string) => hmacSha256(hmacKey, 'remembered-device', deviceId);

  async function list(accountId: string): Promise<RememberedDevice[]> {
    const handles = await store.readIndex(rememberedDeviceIndexKey(accountId));
    if (handles.length === 0) return [];
    const records = await store.getMany<StoredDevice>(handles.map((handle) => rememberedDeviceKey(accountId, handle)));
    const devices: RememberedDevice[] = [];
    await Promise.all(
      handles.map(async (handle, i) => {
        const record = records[i];
        // Expired records leave their handle in the index: tidy it while listing.
        if (!record) return store.removeFromIndex(rememberedDeviceIndexKey(accountId), handle);
        devices.push({ handle, label: record.label, createdAt: new Date(record.createdAt), expiresAt: new Date(record.expiresAt) });
      }),
    );
    return devices.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  return {
    /** Remembering is switched off when the configured lifetime is 0 days. */
    enabled: ttlSeconds > 0,
    days,
    newDeviceId: () => randomToken(),
    isDeviceId: (value: unknown): value is string => typeof value === 'string' && DEVICE_ID.test(value),
    handleOf,

    /**
     * Records `deviceId` for the account. It must be an id minted for this very remembering
     * (newDeviceId), never one the browser sent: a browser can be made to carry someone else's
     * cookie (see http/device-cookie.ts), whose holder would then be remembered for this account.
     */
    async remember(accountId: string, deviceId: string, label: string, enrolment: string): Promise<void> {
      if (ttlSeconds <= 0) return;
      const handle = handleOf(deviceId);
      const createdAt = now();
      await store.addToIndex(rememberedDeviceIndexKey(accountId), handle, ttlSeconds);
      await store.set(rememberedDeviceKey(accountId, handle), { label, createdAt, expiresAt: createdAt + ttlSeconds * 1000, enrolment } satisfies StoredDevice, ttlSeconds);
    },

    /** `deviceIds`: one id, or every id the browser's cookie holds (http/device-cookie.ts); `enrolment`: the account's authenticator's `enrolledAt`. */
    async isRemembered(accountId: string, deviceIds: string | readonly string[] | undefined, enrolment: string | undefined): Promise<boolean> {
      const ids = (typeof deviceIds === 'string' ? [deviceIds] : (deviceIds ?? [])).filter((id) => DEVICE_ID.test(id));
      if (ttlSeconds <= 0 || ids.length === 0) return false;
      // The account's records share its hash tag: one read for every id, also on Redis Cluster.
      const records = await store.getMany<StoredDevice>(ids.map((id) => rememberedDeviceKey(accountId, handleOf(id))));
      return records.some((record) => record !== undefined && (record.enrolment === undefined || record.enrolment === enrolment));
    },

    list,

    async forget(accountId: string, handle: string): Promise<void> {
      await store.delete(rememberedDeviceKey(accountId, handle));
      await store.removeFromIndex(rememberedDeviceIndexKey(accountId), handle);
    },

    /** Every remembered browser of the account; returns how many there were. */
    async forgetAll(accountId: string): Promise<number> {
      const handles = await store.readIndex(rememberedDeviceIndexKey(accountId));
      await store.delete(...handles.map((handle) => rememberedDeviceKey(accountId, handle)), rememberedDeviceIndexKey(accountId));
      return handles.length;
    },
  };
}

export type RememberedDevices = ReturnType<typeof createRememberedDevices>;
