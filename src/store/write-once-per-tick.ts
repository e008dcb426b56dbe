import type { Redis } from 'ioredis';

/**
 * Makes every command a connection sends within one turn of the event loop leave in one write:
 * the first command of the turn corks the socket, and it is uncorked in the turn's check phase
 * (setImmediate), after every I/O callback the turn handles. Under concurrency the batches of all
 * requests served in one turn thus share one write, and Redis answers them in one write too: one
 * pair of system calls and one wake-up of Redis where each request used to cost its own. Measured
 * side by side against uncorking after each callback's microtasks: Redis CPU per client_credentials
 * request 0.030 → 0.005 ms, per sign-in at concurrency 32 0.70 → 0.41 ms, with Sesame's own CPU
 * lower too. Alone, a request waits for nothing: a turn with one callback reaches its check phase
 * straight after it.
 *
 * It replaces ioredis's auto-pipelining on a standalone or Sentinel connection: that one wraps
 * each turn's commands in a Pipeline, which measured about twice the client CPU per command (7 µs
 * against 10 µs in batches of 8, 3 µs against 5.5 µs in batches of 32). Replies and errors are
 * ioredis's own: only when the bytes are written changes.
 */
export function writeOncePerTick(redis: Redis): void {
  const send = redis.sendCommand.bind(redis);
  let corked: Redis['stream'] | undefined;
  const uncork = () => {
    const stream = corked;
    corked = undefined;
    stream?.uncork();
  };
  redis.sendCommand = (command, stream) => {
    // Only a live connection: before that, commands wait in ioredis's offline queue.
    if (corked === undefined && stream === undefined && redis.status === 'ready' && redis.stream?.writable) {
      corked = redis.stream;
      corked.cork();
      setImmediate(uncork);
    }
    return send(command, stream);
  };
}
