import type { Store } from '../store/store.ts';
import { sessionLookedUpUserCodeKey } from '../store/keys.ts';

/**
 * The user code a browser was just shown the confirmation page for, by its Sesame session: the
 * code was looked up and found, and that entry was counted (device-flow/limit-code-entries.ts).
 * "Allow" or "Don't allow" on that page carries the same code again; it takes this record, once,
 * and is not counted a second time. Kept no longer than a user code lives; a later confirmation
 * in the same browser replaces it.
 */
export interface LookedUpUserCodes {
  remember(sessionId: string, userCode: string): Promise<void>;
  /** The code remembered for this session, forgotten as it is read (one decision per look-up). */
  take(sessionId: string): Promise<string | undefined>;
}

export function createLookedUpUserCodes({ store, ttlSeconds }: { store: Store; ttlSeconds: number }): LookedUpUserCodes {
  return {
    remember: (sessionId, userCode) => store.set(sessionLookedUpUserCodeKey(sessionId), userCode, ttlSeconds),
    take: (sessionId) => store.take<string>(sessionLookedUpUserCodeKey(sessionId)),
  };
}
