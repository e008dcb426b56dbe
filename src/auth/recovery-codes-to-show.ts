import { createHash } from 'node:crypto';
import type { Store } from '../store/store.ts';
import { recoveryCodesToShowKey } from '../store/keys.ts';
import type { SecretBox } from './secret-box.ts';

/** Why the codes were made: the page's heading and wording differ. */
export type RecoveryCodesReason = 'set-up' | 'renewed';

export interface RecoveryCodesToShow {
  codes: string[];
  reason: RecoveryCodesReason;
  /** The account's address, named in the saved file: people with several accounts keep several. */
  email: string;
}

const holderHash = (holder: string) => createHash('sha256').update(`recovery-codes-to-show:${holder}`).digest('base64url');
const associatedData = (accountId: string, holder: string) => `recovery-codes-to-show:${accountId}:${holder}`;

/**
 * Freshly made recovery codes, between the POST that made them and the one GET that shows them
 * (Post/Redirect/Get): sealed, for a few minutes, for the sign-in or account-page session that made
 * them (`holder`), and taken by the first GET. A reload, the back button, or someone at the same
 * browser later finds them gone instead of seeing them again. Only keyed hashes of the codes stay
 * on the account (auth/recovery-codes.ts).
 */
export function createRecoveryCodesToShow({ store, secretBox, ttlSeconds }: { store: Store; secretBox: SecretBox; ttlSeconds: number }) {
  if (!(ttlSeconds > 0)) throw new TypeError('ttlSeconds must be positive');
  return {
    async keep(accountId: string, holder: string, shown: RecoveryCodesToShow): Promise<void> {
      const sealed = secretBox.seal(JSON.stringify(shown), associatedData(accountId, holder));
      await store.set(recoveryCodesToShowKey(accountId, holderHash(holder)), sealed, ttlSeconds);
    },

    /** The codes once; undefined when they were shown already, ran out of time, or were never made here. */
    async take(accountId: string, holder: string): Promise<RecoveryCodesToShow | undefined> {
      const sealed = await store.take<unknown>(recoveryCodesToShowKey(accountId, holderHash(holder)));
      if (typeof sealed !== 'string') return undefined;
      try {
        const shown = JSON.parse(secretBox.open(sealed, associatedData(accountId, holder))) as RecoveryCodesToShow;
        return Array.isArray(shown.codes) && (shown.reason === 'set-up' || shown.reason === 'renewed') && typeof shown.email === 'string' ? shown : undefined;
      } catch {
        // Sealed under a key since removed: as good as gone (new codes can be made on the account page).
        return undefined;
      }
    },
  };
}

export type RecoveryCodesToShowStore = ReturnType<typeof createRecoveryCodesToShow>;
