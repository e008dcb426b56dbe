import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MailJobCounts } from '../mail/mail-queue.ts';

export type CodeFailureReason = 'wrong' | 'expired' | 'too-many-attempts';

// Node's process metrics (CPU, memory, event-loop delay, garbage collection) describe the process,
// not one Sesame in it, and prom-client's collectors for them (a GC observer, an event-loop delay
// monitor) cannot be stopped: one registry of them per process, made when first asked for, rather
// than a new set per instance that outlives its Sesame (as in a test process that starts many).
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * Sesame's Prometheus metrics, on a registry of their own (two instances in one test process must
 * not share counters), served together with the process's. Labels are bounded sets: route
 * templates, never raw paths.
 */
export function createMetrics() {
  const registry = new Registry();

  const httpRequestDuration = new Histogram({
    name: 'sesame_http_request_duration_seconds',
    help: 'HTTP request latency by route template, method and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // Discovery and JWKS from memory (http/published-documents.ts): counted in plain numbers, handed
  // to Prometheus only when it scrapes. Their answers take microseconds; timing each into the
  // histogram cost a sixth of the answer.
  const publishedDocumentsServed = new Map<string, number>();
  new Counter({
    name: 'sesame_published_documents_served_total',
    help: 'Discovery and JWKS answers served from memory, by path.',
    labelNames: ['path'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [path, count] of publishedDocumentsServed) this.inc({ path }, count);
    },
  });
  const signInsStarted = new Counter({
    name: 'sesame_sign_ins_started_total',
    help: 'Sign-ins that reached the email prompt.',
    registers: [registry],
  });
  const signInsCompleted = new Counter({
    name: 'sesame_sign_ins_completed_total',
    help: 'Sign-ins handed to the app, by the methods used (the ID token\'s amr joined with +): email, or email+otp+mfa and email+recovery_code+mfa with a second factor.',
    labelNames: ['amr'] as const,
    registers: [registry],
  });
  const codeFailures = new Counter({
    name: 'sesame_sign_in_code_failures_total',
    help: 'Typed sign-in codes that were refused, by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const lockouts = new Counter({
    name: 'sesame_lockouts_total',
    help: 'Lockouts begun after too many consecutive failures, by streak (sign-in, second-factor).',
    labelNames: ['streak'] as const,
    registers: [registry],
  });
  const mailsQueued = new Counter({ name: 'sesame_mails_queued_total', help: 'Mails accepted by the mail queue (sign-in mails, security notices, change-of-address codes).', registers: [registry] });
  const mailsSent = new Counter({ name: 'sesame_mails_sent_total', help: 'Mails handed to the SMTP relay.', registers: [registry] });
  const mailsSkipped = new Counter({
    name: 'sesame_mails_skipped_total',
    help: 'Queued mails deliberately not sent: no_account (closed sign-up, or the account is gone), expired (the link died while SMTP was down) or unknown_kind (queued by a newer version during a rolling upgrade).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const mailSendFailures = new Counter({ name: 'sesame_mail_send_failures_total', help: 'Failed delivery attempts (each is retried until the last).', registers: [registry] });
  const mailsRefused = new Counter({ name: 'sesame_mails_refused_total', help: 'Sign-in and change-of-address mails refused with a 503 because the queue was at its ceiling (mailQueue.ceiling).', registers: [registry] });
  const mailsFailed = new Counter({ name: 'sesame_mails_failed_total', help: 'Mails given up after their last attempt.', registers: [registry] });
  const mailTransportUp = new Gauge({ name: 'sesame_mail_transport_up', help: '1 when the last check (at start, then at /readyz probes) reached the mail transport, else 0. Absent where this process sends no mail.', registers: [registry] });
  // Read from the queue at each scrape (one command on Redis), so a backlog shows however it came
  // about: the relay down, a worker stopped, a burst. Bounded, so a scrape never hangs on Redis.
  let countMailJobs: (() => Promise<MailJobCounts>) | undefined;
  new Gauge({
    name: 'sesame_mail_queue_jobs',
    help: 'Jobs on the mail queue now, by state: waiting (to be sent as soon as a worker is free), active (being sent), delayed (to be tried again after a failure, or a security notice held before its change), failed (given up; the durable queue keeps them a day). The durable queue is shared, so every process on one Redis reports the same numbers. Absent when the queue cannot be read.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      if (!countMailJobs) return;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, 1000, undefined)));
      const counts = await Promise.race([countMailJobs().catch(() => undefined), timedOut]);
      clearTimeout(timer);
      if (!counts) return;
      for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
    },
  });
  const backchannelLogouts = new Counter({
    name: 'sesame_backchannel_logouts_total',
    help: 'Back-channel logout tokens for apps whose users signed out (in the browser, everywhere, or with their account deleted), by app and result: queued (on the durable queue, when the sign-out happened), delivered (the app answered 200 or 204), failed (given up: the app refused it with a 4xx, or was unreachable until its attempts or the token ran out; or it could not be queued), dropped (the app was no longer registered when its turn came).',
    labelNames: ['client_id', 'result'] as const,
    registers: [registry],
  });
  const clientsReloads = new Counter({
    name: 'sesame_clients_reloads_total',
    help: 'Reloads of the clients file (CLIENTS_FILE) on SIGHUP, by result: ok (the new registrations are in force), failed (the file could not be read or failed a check: the registrations in force go on serving, and the error log says why).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  // From the start, so that an alert on increase(...{result="failed"}) sees the first failure.
  for (const result of ['ok', 'failed']) clientsReloads.inc({ result }, 0);

  return {
    registry,
    httpRequestDuration,
    publishedDocumentsServed,
    signInsStarted,
    signInsCompleted,
    codeFailures,
    lockouts,
    mailsQueued,
    mailsSent,
    mailsSkipped,
    mailSendFailures,
    mailsFailed,
    mailsRefused,
    mailTransportUp,
    backchannelLogouts,
    clientsReloads,
    /**
     * Labelled counters exist from the start at 0 for every label value known up front, so that the
     * first increase after a restart is an increase (a series that first appears at 1 shows none to
     * `increase()`, and an alert on it would miss the first refused logout token or lockout).
     */
    startSeriesAtZero({ backChannelClientIds }: { backChannelClientIds: readonly string[] }) {
      for (const streak of ['sign-in', 'second-factor']) lockouts.inc({ streak }, 0);
      for (const client_id of backChannelClientIds) for (const result of ['queued', 'delivered', 'failed', 'dropped']) backchannelLogouts.inc({ client_id, result }, 0);
    },
    /** Where `sesame_mail_queue_jobs` reads from: this process's mail queue. */
    watchMailQueue(counts: () => Promise<MailJobCounts>) {
      countMailJobs = counts;
    },
    async render(): Promise<{ contentType: string; body: string }> {
      // Merged at each scrape: this registry changes after start (readiness drops a gauge).
      const scraped = Registry.merge([processMetrics(), registry]);
      return { contentType: scraped.contentType, body: await scraped.metrics() };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
