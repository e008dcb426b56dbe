import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A decision form ("Allow", "Don't allow") whose entry is not counted, because this browser was
 * just shown the confirmation for `userCode` (device-flow/looked-up-user-codes.ts). The form's
 * fields are read by oidc-provider, after Sesame's middleware: the store adapter, where the
 * library looks the code up, asks `mayLookUpUserCode` first, so that the free pass holds for that
 * one code only. Any other code in the form is refused without being looked up, and counted.
 */
interface UncountedDecision {
  userCode: string;
  countOtherCode: () => Promise<void>;
}

const decisions = new AsyncLocalStorage<UncountedDecision>();

/** Runs the library's handling of the decision form with its look-up limited to `userCode`. */
export function withUncountedDecision<T>(decision: UncountedDecision, work: () => Promise<T>): Promise<T> {
  return decisions.run(decision, work);
}

/** False, after counting it as an entry, for a code other than the one an uncounted decision was allowed. */
export async function mayLookUpUserCode(userCode: string): Promise<boolean> {
  const decision = decisions.getStore();
  if (!decision || decision.userCode === userCode) return true;
  await decision.countOtherCode();
  return false;
}
