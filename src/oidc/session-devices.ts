import type { KoaContextWithOIDC } from 'oidc-provider';
import { summariseUserAgent } from '../auth/device-summary.ts';
import { oidcSessionDeviceKey } from '../store/keys.ts';
import type { Store } from '../store/store.ts';

/**
 * Which browser each signed-in session is in ("Firefox on Linux"), so that the account page's
 * list of where a person is signed in names them. oidc-provider's session keeps no such field, so
 * it is written beside the session's record (same slot; the store adapter deletes it with the
 * session) whenever an authorization resumes in that browser (an app's, or a device's at /device),
 * from that request's user agent: the library gives the session a new id at each resume (a
 * sign-in, or single sign-on into another app) and destroys the record under the old one, this
 * label with it. It lives as long as a session can, and is only a label: nothing decides on it.
 *
 * Middleware of the provider's own app (provider.use): after the route, the session's id is
 * final. Inside a request the write joins that request's batch: no round trip of its own.
 */
export function recordSessionDevices({ store, sessionSeconds }: { store: Store; sessionSeconds: number }) {
  return async function recordSessionDevice(ctx: KoaContextWithOIDC, next: () => Promise<unknown>) {
    await next();
    const { oidc } = ctx;
    const session = oidc?.session;
    if ((oidc?.route !== 'resume' && oidc?.route !== 'device_resume') || !session?.accountId || (session as { destroyed?: boolean }).destroyed) return;
    await store.set(oidcSessionDeviceKey(session.jti), summariseUserAgent(ctx.get('user-agent')), sessionSeconds);
  };
}

/** The label of each session, or undefined (signed in before labels were kept). */
export function sessionDevices(store: Store, sessionIds: readonly string[]): Promise<(string | undefined)[]> {
  return store.getMany<string>(sessionIds.map(oidcSessionDeviceKey));
}
