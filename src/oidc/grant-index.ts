import { bucketAt, liveBucketKeys } from '../store/bucketed-index.ts';
import { oidcGrantHourIndexKey, oidcGrantIndexKey } from '../store/keys.ts';

/**
 * The longest lifetime of a code or token indexed by the hour it was issued in rather than in the
 * grant's own index. An access token (15 minutes by default), an authorization code, a device code:
 * none is ever destroyed once it has expired, so in one set that every new member keeps alive
 * (an app that refreshes every 15 minutes keeps its grant's index alive for as long as it refreshes)
 * their keys would pile up, about 35,000 a year for one such app. Each hour's set instead lives as
 * long as the longest-lived key added in it and then goes with all of them.
 */
export const SHORT_LIVED_SECONDS = 86_400;
const HOUR_SECONDS = 3600;

/** The hours' sets, one lifetime of a short-lived code or token back (store/bucketed-index.ts). */
const HOURLY = { keyOf: oidcGrantHourIndexKey, lifetimeSeconds: SHORT_LIVED_SECONDS, bucketSeconds: HOUR_SECONDS };

/**
 * Where the key of a code or token of the grant is indexed, so that revoking the grant finds it.
 * Refresh tokens always in the grant's own index, whatever their lifetime: "Apps with access"
 * reads them there (oidc/apps-with-access.ts), and a rotated one leaves it when it is used
 * (oidc/store-adapter.ts consume).
 */
export function grantIndexKeyFor(model: string, grantId: string, ttlSeconds: number | undefined, nowMs = Date.now()): string {
  const shortLived = model !== 'RefreshToken' && ttlSeconds !== undefined && ttlSeconds <= SHORT_LIVED_SECONDS;
  return shortLived ? oidcGrantHourIndexKey(grantId, bucketAt(nowMs, HOUR_SECONDS)) : oidcGrantIndexKey(grantId);
}

/**
 * Every index of the grant that may still hold the key of a live code or token: its own, and the
 * hours' sets of the last SHORT_LIVED_SECONDS, with an hour either side for the clocks of other
 * instances (liveBucketKeys). All under the grant's hash tag: one slot on a Cluster.
 */
export function grantIndexKeys(grantId: string, nowMs = Date.now()): string[] {
  return [oidcGrantIndexKey(grantId), ...liveBucketKeys(grantId, HOURLY, nowMs)];
}
