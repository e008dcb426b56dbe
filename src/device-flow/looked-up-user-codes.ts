import type { Store } from '../store/store.ts';
import { sessionLookedUpUserCodeKey } from '../store/keys.ts';

/**
 * The user code a browser entered and was found, by its Sesame session: that entry was counted
 * (device-flow/limit-code-entries.ts), and the confirmation page shows this code
 * (device-flow/read-confirmation.ts).
 * "Allow" or "Don't allow" on that page carries the same code again; it takes this record, once,
 * and is not counted a second time. Kept no longer than a user code lives; a later confirmation
 * in the same browser replaces it.
 */
export interface LookedUpUserCodes {
  remember(sessionId: string, userCode: string): Promise<void>;
  /** The code remembered for this session, left in place: the confirmation page shows it (reload it as often as you like). */
  peek(sessionId: string): Promise<string | undefined>;
  /** The code remembered for this session, forgotten as it is read (one decision per look-up). */
  take(sessionId: string): Promise<string | undefined>;
}

export function createLookedUpUserCodes({ store, ttlSeconds }: { store: Store; ttlSeconds: number }): LookedUpUserCodes {
  return {
    remember: (sessionId, userCode) => store.set(sessionLookedUpUserCodeKey(sessionId), userCode, ttlSeconds),
    peek: (sessionId) => store.get<string>(sessionLookedUpUserCodeKey(sessionId)),
    take: (sessionId) => store.take<string>(sessionLookedUpUserCodeKey(sessionId)),
  };
}
