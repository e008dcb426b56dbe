import type { Logger } from '../logger.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Store } from '../store/store.ts';
import type { Metrics } from './metrics.ts';

export type CheckState = 'up' | 'down' | 'not-checked';

export interface ReadinessReport {
  status: 'ready' | 'unavailable' | 'shutting-down';
  checks: { store: CheckState; mail: CheckState };
}

export interface ReadinessOptions {
  store: Store;
  /** The transport this process sends through; undefined when another process sends the mail. */
  mailTransport: Pick<Mailer, 'verify'> | undefined;
  /**
   * Whether an unreachable mail transport makes this process unready. Not for a web process with
   * the durable queue: its mail waits safely in Redis, and pulling every instance out of the load
   * balancer while the relay is down would stop sign-ins that could finish later and token refreshes
   * that need no mail at all. Yes for the mail worker and for the in-process queue.
   */
  mailRequired: boolean;
  /** A mail check result is reused this long, so frequent probes do not hammer the relay. */
  mailCheckSeconds: number;
  metrics: Metrics;
  logger: Logger;
  /** @default 3000 */
  checkTimeoutMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/** /readyz: is the store reachable, and can mail be sent? Never says why to the caller; the log does. */
export function createReadiness({ store, mailTransport, mailRequired, mailCheckSeconds, metrics, logger, checkTimeoutMs = 3000, now = Date.now }: ReadinessOptions) {
  let shuttingDown = false;
  let mailResult: { state: CheckState; checkedAt: number } | undefined;
  let mailCheckInFlight: Promise<CheckState> | undefined;

  async function checkStore(): Promise<CheckState> {
    try {
      await withTimeout(store.ping(), checkTimeoutMs);
      return 'up';
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'readiness: store unreachable');
      return 'down';
    }
  }

  // sesame_mail_transport_up says what a check found: checked once at start rather than read as
  // "down" until the first probe, and absent from a process that sends no mail at all.
  if (mailTransport) queueMicrotask(() => void checkMail());
  else metrics.registry.removeSingleMetric('sesame_mail_transport_up');

  function checkMail(): Promise<CheckState> {
    if (!mailTransport) return Promise.resolve('not-checked');
    if (mailResult && now() - mailResult.checkedAt < mailCheckSeconds * 1000) return Promise.resolve(mailResult.state);
    // Concurrent probes share one SMTP conversation.
    mailCheckInFlight ??= withTimeout(mailTransport.verify(), checkTimeoutMs)
      .then(
        () => 'up' as const,
        (error: unknown) => {
          logger.warn({ err: (error as Error).message }, 'readiness: mail transport unreachable');
          return 'down' as const;
        },
      )
      .then((state) => {
        mailResult = { state, checkedAt: now() };
        metrics.mailTransportUp.set(state === 'up' ? 1 : 0);
        mailCheckInFlight = undefined;
        return state;
      });
    return mailCheckInFlight;
  }

  return {
    async check(): Promise<ReadinessReport> {
      const [storeState, mailState] = await Promise.all([checkStore(), checkMail()]);
      const checks = { store: storeState, mail: mailState };
      if (shuttingDown) return { status: 'shutting-down', checks };
      const ready = storeState === 'up' && (mailState !== 'down' || !mailRequired);
      return { status: ready ? 'ready' : 'unavailable', checks };
    },
    /** From SIGTERM on, /readyz says 503 so load balancers stop sending new requests. */
    markShuttingDown() {
      shuttingDown = true;
    },
  };
}

export type Readiness = ReturnType<typeof createReadiness>;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}
