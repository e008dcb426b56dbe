import { jest } from '@jest/globals';
import type { Store } from '../../src/store/store.ts';

/**
 * Moves every clock that Sesame, running in this process, reads `ms` ahead, as time passing would:
 * the process's (Date.now) and the store's (Store.clockMs, Redis TIME, which times sign-ins and
 * sign-outs: accounts/accounts.ts). Moving Date.now alone would make a sign-in made meanwhile look
 * `ms` old already. Returns the function that puts both back.
 */
export function moveClocksAhead(store: Store, ms: number): () => void {
  const realNow = Date.now.bind(Date);
  const realClock = store.clockMs.bind(store);
  const now = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + ms);
  const clock = jest.spyOn(store, 'clockMs').mockImplementation(async (key) => (await realClock(key)) + ms);
  return () => {
    now.mockRestore();
    clock.mockRestore();
  };
}

/**
 * Runs `work` with this process's clock (Date.now, Sesame's and the library's) `ms` off, as on a
 * host whose clock runs ahead (or, negative, behind) the others; Redis's clock stays right.
 */
export async function withProcessClockOff<T>(ms: number, work: () => Promise<T>): Promise<T> {
  const realNow = Date.now;
  Date.now = () => realNow() + ms;
  try {
    return await work();
  } finally {
    Date.now = realNow;
  }
}
