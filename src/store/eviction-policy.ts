import { Cluster } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { RedisClient } from './redis-connection.ts';

const UNREAD_POLICY_ADVICE = 'make sure it is noeviction, or evicted keys (lockouts, replay guards, queued mail) vanish without a trace';

/**
 * Redis under an evicting `maxmemory-policy` (allkeys-lru, volatile-ttl...) drops keys without a
 * word when its memory is full: a lockout counter, the last TOTP step used, a spent refresh token's
 * marker, a rate-limit window, a queued mail. Each vanishes as if it never was, so a locked-out
 * guesser guesses again and a replayed token is taken for new. Under `noeviction` a full Redis
 * refuses writes instead, which Sesame answers with a 503 and /readyz reports: loud and safe. So
 * start-up is refused on any other policy unless the operator says otherwise (REDIS_ALLOW_EVICTION).
 *
 * The policy is read from INFO memory rather than CONFIG GET, which managed services commonly
 * rename or refuse. INFO itself must be allowed: BullMQ (the mail queue) reads the server's version
 * with it, and where an ACL refuses it (`-@dangerous` does) its worker spins on the refusal and the
 * start never ends. So a refused INFO stops the start here, saying what to allow.
 */
export async function checkEvictionPolicy(redis: RedisClient, { allowEviction, where, logger }: { allowEviction: boolean; where: string; logger: Logger }): Promise<void> {
  // Every master of a Cluster holds its own share of the keys, each under its own settings.
  // A master whose policy cannot be read is warned about and the others are still read: one
  // unreadable node must not let an evicting one after it go unnoticed.
  const isCluster = redis instanceof Cluster;
  const nodes = isCluster ? redis.nodes('master') : [redis];
  const evicting = new Set<string>();
  for (const node of nodes) {
    const which = isCluster ? `${where} (node ${node.options.host}:${node.options.port})` : where;
    let policy: string | undefined;
    try {
      policy = /^maxmemory_policy:(\S+)/m.exec(await node.info('memory'))?.[1];
    } catch (error) {
      const reason = (error as Error).message;
      if (/^NOPERM\b/.test(reason)) {
        throw new Error(`${which} refuses INFO to Sesame's user (${reason}): allow it (ACL SETUSER <user> +info). The mail queue (BullMQ) reads the server's version with it, and Sesame its maxmemory-policy`);
      }
      logger.warn({ err: reason }, `could not read the maxmemory-policy of ${which}: ${UNREAD_POLICY_ADVICE}`);
      continue;
    }
    if (policy === undefined) {
      logger.warn(`${which} did not say its maxmemory-policy: ${UNREAD_POLICY_ADVICE}`);
      continue;
    }
    if (policy !== 'noeviction') evicting.add(policy);
  }
  if (evicting.size === 0) return;
  const policies = [...evicting].join(', ');
  if (allowEviction) {
    logger.warn({ maxmemoryPolicy: policies }, `${where} evicts keys when its memory is full (maxmemory-policy ${policies}), and REDIS_ALLOW_EVICTION=true lets Sesame run on it: lockouts, replay guards, rate limits and queued mail may vanish without a trace`);
    return;
  }
  throw new Error(
    `${where} evicts keys when its memory is full (maxmemory-policy ${policies}): lockouts, replay guards, rate limits and queued mail would vanish without a trace. ` +
      'Set maxmemory-policy noeviction (a full Redis then refuses writes, and Sesame answers 503 until memory is freed), or REDIS_ALLOW_EVICTION=true to run on it anyway',
  );
}
