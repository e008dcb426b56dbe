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
