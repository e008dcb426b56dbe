import { randomUUID } from 'node:crypto';
import { startupCheckKey } from './keys.ts';
import type { Store } from './store.ts';

/**
 * Runs every kind of store operation once, on keys of its own, before the port opens. Each one is
 * a Redis command (or a script whose commands Redis checks one by one) that Sesame's Redis user
 * must be allowed: an ACL that refuses one (EVALSHA, SMEMBERS, GETDEL in a script...) otherwise lets Sesame start, report
 * ready, and fail every sign-in with a 500. Here the start stops, naming the refusal.
 */
export async function checkStoreCommands(store: Store, where: string): Promise<void> {
  // Keys of this start alone (several instances may start at once), sharing one hash tag for the
  // operations that take two keys.
  const tag = randomUUID();
  const key = (name: string) => startupCheckKey(tag, name);
  const ttl = 60;
  try {
    await store.setJson(key('record'), '1', ttl);
    await store.getJson(key('record'));
    await store.getManyJson([key('record'), key('absent')]);
    await store.replace(key('record'), 2, ttl);
    await store.replaceIfUnchanged(key('record'), '2', 3);
    await store.ttlSeconds(key('record'));
    await store.markOnce(key('record'), key('marker'), 1);
    await store.take(key('record'));
    await store.setIfAbsent(key('once'), 1, ttl);
    await store.increment(key('counter'), ttl);
    await store.incrementShare(key('share'), ttl, 1, key('total'), ttl);
    await store.raiseTo(key('step'), 1, ttl);
    await store.addToIndex(key('index'), 'member', ttl);
    await store.readIndex(key('index'));
    await store.removeFromIndex(key('index'), 'member');
    await store.clockMs(key('record'));
    await store.delete(...['record', 'marker', 'once', 'counter', 'share', 'total', 'step', 'index'].map(key));
  } catch (error) {
    const reason = (error as Error).message;
    // Refused outright (NOPERM), or inside one of the store's scripts, where Redis says it so.
    if (/\bNOPERM\b|user executing the script can't run this command/.test(reason)) throw new Error(`${where} refuses a command Sesame needs to Sesame's user (${reason}): allow it (ACL SETUSER <user> +<command>, or +@all -@dangerous +info)`);
    throw error;
  }
}
