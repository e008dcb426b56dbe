import { englishTemplateLocals } from './i18n/page-language.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import { createApp } from './app.ts';
import type { ClientRegistration, Config } from './config/config-schema.ts';
import { usesRedis } from './config/config-schema.ts';
import { createSettingsCheck } from './config/settings-check.ts';
import { createClientErrorAnswer } from './http/client-errors.ts';
import { createPageTemplates } from './http/page-templates.ts';
import type { Logger } from './logger.ts';
import { createMailDelivery } from './mail/deliver-mail.ts';
import { createDevOutbox, type DevOutbox } from './mail/dev-outbox.ts';
import { createDurableMailQueue, mailQueueLocation } from './mail/durable-mail-queue.ts';
import { createInProcessMailQueue, type MailQueue } from './mail/mail-queue.ts';
import { securityNoticeSchedule } from './mail/retry-schedule.ts';
import { startMailWorker, type MailWorker } from './mail/mail-worker.ts';
import { createSmtpMailer, type Mailer } from './mail/mailer.ts';
import { createAuditLog } from './observability/audit-log.ts';
import { instrumentDelivery, reportDeliveryFailure } from './observability/instrument.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { createReadiness, type Readiness } from './observability/readiness.ts';
import { createWorkerOpsApp } from './observability/worker-ops-app.ts';
import { loadSigningKeys } from './signing-keys/shared-signing-keys.ts';
import { checkClientRegistrations } from './oidc/check-clients.ts';
import { createClientRegistry } from './oidc/client-registry.ts';
import { createClientsReload, type ClientsReloadResult } from './oidc/reload-clients.ts';
import { createStoreWithClient } from './store/create-store.ts';
import { createRedisClient, type RedisClient } from './store/redis-connection.ts';
import { VIEWS_DIR } from './paths.ts';
import type { Store } from './store/store.ts';

/**
 * What one process does. `web` serves Sesame (and sends mail too unless MAIL_WORKER=off);
 * `worker` only sends the queued mail, with /healthz, /readyz and /metrics on its port.
 */
export type ProcessRole = 'web' | 'worker';

export interface Sesame {
  app: Koa;
  /** The node:http request handler (for the web role: discovery and JWKS from memory, the rest through Koa). */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** The node:http `clientError` listener: an error page for requests the HTTP parser refused. */
  answerClientError: ReturnType<typeof createClientErrorAnswer>;
  /** The oidc-provider instance (web role only). */
  provider: Provider | undefined;
  store: Store;
  metrics: Metrics;
  readiness: Readiness;
  devOutbox: DevOutbox | undefined;
  /**
   * Reads the clients file again (CLIENTS_FILE, on SIGHUP) and, if it passes start-up's checks,
   * serves every request from now on with it; otherwise logs why and keeps the registrations in
   * force. Never throws.
   */
  reloadClients(): Promise<ClientsReloadResult>;
  /** Resolves when no sign-in mail is waiting or being sent (tests, tools). */
  mailIdle(): Promise<void>;
  /** Stops the mail worker (letting the mail being sent finish) and closes every connection. Call after the HTTP server stopped. */
  close(): Promise<void>;
}

export interface CreateSesameOptions {
  config: Readonly<Config>;
  logger: Logger;
  /** @default 'web' */
  role?: ProcessRole;
  /** Reads and checks the clients file as start-up did (config/load-config.ts loadClients). @default none: reloadClients fails */
  readClients?: () => readonly ClientRegistration[];
}

/** Wires one Sesame process from its configuration: store, mail queue and worker, app. Listening is the caller's. */
export async function createSesame({ config, logger, role = 'web', readClients }: CreateSesameOptions): Promise<Sesame> {
  const metrics = createMetrics();
  // The registrations in force in this process: every reader goes through it (a reload replaces them).
  const clients = createClientRegistry(config);
  metrics.startSeriesAtZero({ backChannelClientIds: config.clients.filter((client) => typeof client.backchannel_logout_uri === 'string').map((client) => client.client_id) });
  const redis = usesRedis(config.redis);
  if (role === 'worker' && (!redis || !config.mail.smtpUrl)) {
    throw new Error('the mail worker needs Redis (the queue) and SMTP_URL (the relay): set both');
  }
  const { store, redis: storeClient } = await createStoreWithClient(config, logger, `sesame:${role}:store`);
  const closers: (() => Promise<void>)[] = [() => store.close()];

  const devOutbox = config.mail.smtpUrl ? undefined : createDevOutbox({ log: (mail) => logger.info({ to: mail.to, subject: mail.subject, text: mail.text }, 'dev outbox: mail') });
  // One SMTP connection per mail in flight: a slot of the worker never waits for another's connection.
  const mailer: Mailer = devOutbox ?? createSmtpMailer({ smtpUrl: config.mail.smtpUrl!, from: config.mail.from, maxConnections: config.mailQueue.concurrency });
  const deliver = instrumentDelivery(createMailDelivery({ config, store, mailer, clients: clients.fromFile }), metrics, logger);
  const audit = createAuditLog({ logger, hmacKey: config.hmacKey, enabled: config.auditLog === 'on' });
  const onDeliveryFailure = reportDeliveryFailure({ metrics, logger, audit: audit.withOrigin({ via: 'mail-worker' }) });

  let mailQueue: MailQueue | undefined;
  let worker: MailWorker | undefined;
  const sendsMail = role === 'worker' || config.mailQueue.worker === 'on';
  if (redis) {
    const { prefix, secretBox } = mailQueueLocation(config);
    // The store's own fail-fast connection: a sign-in's mail is queued in the same pipeline as
    // the request's writes (src/store/request-scope.ts defers it to that batch). A worker only
    // reads how many jobs wait, for its metrics.
    const durable = createDurableMailQueue({ connection: storeClient!, prefix, secretBox, attempts: config.mailQueue.attempts, backoffMs: config.mailQueue.backoffMs, keepFailedAtMost: config.mailQueue.ceiling });
    if (role === 'web') mailQueue = durable;
    else closers.push(() => durable.close());
    metrics.watchMailQueue(durable.jobCounts);
    if (sendsMail) {
      // The scripts that take and finish jobs share writes under load, as the store's commands do.
      const connection = await closingOnFailure(() => connect(createRedisClient(config.redis, { policy: 'blocking', connectionName: `sesame:${role}:mail-worker`, batching: 'single-node' }), closers));
      worker = startMailWorker({
        connection,
        prefix,
        secretBox,
        deliver,
        concurrency: config.mailQueue.concurrency,
        onFailure: onDeliveryFailure,
        onConnectionError: (error) => logger.debug({ err: error.message }, 'mail worker: redis connection error'),
      });
    }
  } else {
    const noticeSchedule = securityNoticeSchedule(config.mailQueue.backoffMs);
    mailQueue = createInProcessMailQueue({
      deliver,
      retries: config.mailQueue.attempts - 1,
      backoffMs: (attempt) => Math.min(config.mailQueue.backoffMs * 2 ** (attempt - 1), 60_000),
      // As on the durable queue: a security notice is tried for a day.
      scheduleFor: (job) => (job.kind === 'security-notice' ? noticeSchedule : undefined),
      concurrency: config.mailQueue.concurrency,
      onError: onDeliveryFailure,
    });
    metrics.watchMailQueue(mailQueue.jobCounts);
  }

  const readiness = createReadiness({
    store,
    mailTransport: sendsMail ? mailer : undefined,
    // Mail queued in Redis waits safely for the relay; mail held in this process, or a worker's whole job, does not.
    mailRequired: role === 'worker' || !redis,
    mailCheckSeconds: config.readinessMailCheckSeconds,
    metrics,
    logger,
  });

  async function close() {
    // The worker first: it may be sending a mail right now, and needs the store and the relay to
    // finish. Each step is bounded: with Redis down, closing must not hang the shutdown.
    await settleWithin(worker?.close(), 10_000, () => logger.warn('mail worker did not stop in time; its job stays queued for the next worker'));
    await settleWithin(mailQueue?.close(), 3000);
    await mailer.close();
    for (const closer of closers.reverse()) await closer();
  }

  /** A start that fails half-way closes what it had opened (connections, the worker, the relay's pool) before failing. */
  async function closingOnFailure<T>(step: () => T | Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      await close();
      throw error;
    }
  }

  let app: Koa;
  let handler: Sesame['handler'];
  let provider: Provider | undefined;
  let applyClients: (registrations: readonly ClientRegistration[]) => Promise<void> | void = clients.replace;
  if (role === 'web') {
    const { web, signingKeys } = await closingOnFailure(async () => {
      if (redis) await createSettingsCheck(store, config).record();
      const signingKeys = await loadSigningKeys({ config, store, logger });
      const web = createApp({ config, store, mailQueue: mailQueue!, logger, audit, metrics, readiness, devOutbox, jwks: signingKeys.jwks, clients });
      await checkClientRegistrations(web.provider, config.clients);
      return { web, signingKeys };
    });
    ({ app, provider, handler } = web);
    applyClients = web.replaceClients;
    const stopWatching = signingKeys.watch((jwks) => web.replaceSigningKeys(jwks));
    closers.push(async () => stopWatching());
  } else {
    app = createWorkerOpsApp({ config, logger, metrics, readiness });
    handler = app.callback();
  }

  const errorPage = createPageTemplates({ viewsDir: VIEWS_DIR, keepCompiled: config.nodeEnv !== 'development' }).engineSource;
  const answerClientError = createClientErrorAnswer({
    logger,
    // Before any request is read: in English (a request's language is in the headers that failed).
    renderErrorPage: (locals) => errorPage.ejs(`${VIEWS_DIR}/error.ejs`, { ...englishTemplateLocals, appName: config.appName, support: config.support, ...locals }),
  });

  // The worker checks the file as its start-up did (loadConfig); the web role also asks the provider, as its start-up did.
  const reloadClients = createClientsReload({
    registry: clients,
    read: readClients ?? (() => {
      throw new Error('this process was started without a clients file to read again');
    }),
    apply: applyClients,
    logger,
    audit: audit.withOrigin({ via: 'signal', signal: 'SIGHUP' }),
    metrics,
  });

  return { app, handler, answerClientError, provider, store, metrics, readiness, devOutbox, reloadClients, mailIdle: () => mailQueue?.idle() ?? Promise.resolve(), close };
}

/** Connects a client before the port opens (a wrong address fails start-up, not the first sign-in) and registers its closing. */
async function connect(client: RedisClient, closers: (() => Promise<void>)[]): Promise<RedisClient> {
  client.on('error', () => {}); // logged once per outage by the store's connection
  // A client that failed to connect goes on trying, and connects once it can: stopped here, since
  // the start it belongs to fails with this error.
  await client.connect().catch((error: unknown) => {
    client.disconnect();
    throw error;
  });
  closers.push(async () => {
    // QUIT lets pending replies arrive; with Redis unreachable it would wait for a reconnection that may never come.
    const quit = client.quit().catch(() => undefined);
    await settleWithin(quit, 2000, () => client.disconnect());
  });
  return client;
}

/** Waits for `promise` at most `ms`; on timeout calls `onTimeout` and moves on. Rejections are ignored: this is for shutting down. */
async function settleWithin(promise: Promise<unknown> | undefined, ms: number, onTimeout: () => void = () => {}): Promise<void> {
  if (!promise) return;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    promise.then(
      () => false,
      () => false,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), ms);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) onTimeout();
}
