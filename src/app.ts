import type { IncomingMessage, ServerResponse } from 'node:http';
import { domainsInWords } from './accounts/signup-policy.ts';
import Koa from 'koa';
import views from 'koa-views';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { ACCOUNT_CLIENT_ID } from './account/account-client.ts';
import { createAccountRouter } from './account/account-router.ts';
import { createAccountSessions } from './account/account-session.ts';
import { createCodeExchange } from './account/exchange-code.ts';
import { createAccounts } from './accounts/accounts.ts';
import { createEmailChangeCodes } from './auth/email-change-codes.ts';
import type { LockoutStreak } from './auth/lockout.ts';
import { createLoginApprovals } from './auth/login-approvals.ts';
import { createRetryAddresses } from './auth/retry-address.ts';
import { createSecondFactor } from './auth/second-factor.ts';
import { createRateLimiter } from './auth/rate-limiter.ts';
import { createSignInCodes } from './auth/sign-in-codes.ts';
import { createSignInLockout, signInLimits } from './auth/sign-in-limits.ts';
import type { ClientRegistration, Config } from './config/config-schema.ts';
import { createDevRouter } from './dev/dev-router.ts';
import { CookieKeys } from './http/cookie-keys.ts';
import { createCsrf } from './http/csrf.ts';
import { rejectOtherMethods } from './http/method-not-allowed.ts';
import { createPublishedDocuments, type PublishedDocuments } from './http/published-documents.ts';
import { createErrorHandler } from './http/error-handler.ts';
import { createHttpsOnly } from './http/https-only.ts';
import { createIssuerHostPin } from './http/issuer-host.ts';
import { forgetKnownAddresses } from './http/known-address-cookie.ts';
import { cookiesAreSecure } from './http/secure-cookies.ts';
import { createLanguageSwitch } from './i18n/language-switch.ts';
import { englishTemplateLocals, speakBrowserLanguage } from './i18n/page-language.ts';
import { createPageTemplates } from './http/page-templates.ts';
import { createRateLimitGuard } from './http/rate-limit.ts';
import { assignRequestId } from './http/request-id.ts';
import { createDataSecurityHeaders, createSecurityHeaders } from './http/security-headers.ts';
import { createStaticFiles } from './http/static-files.ts';
import { createInteractionRouter } from './interaction/router.ts';
import { createDeviceFlowRouter } from './device-flow/router.ts';
import { createLookedUpUserCodes } from './device-flow/looked-up-user-codes.ts';
import { paceDevicePolling } from './device-flow/poll-interval.ts';
import { recordDeviceDenials } from './device-flow/record-denials.ts';
import type { Logger } from './logger.ts';
import type { DevOutbox } from './mail/dev-outbox.ts';
import { createMailCeiling } from './mail/mail-ceiling.ts';
import type { MailQueue } from './mail/mail-queue.ts';
import { createProvider } from './oidc/create-provider.ts';
import { createSwappableProvider } from './oidc/swappable-provider.ts';
import { createAppsWithAccess } from './oidc/apps-with-access.ts';
import { createBrowserSessions } from './oidc/browser-sessions.ts';
import { recordSessionDevices } from './oidc/session-devices.ts';
import type { ClientRegistry } from './oidc/client-registry.ts';
import { checkClientRegistrations } from './oidc/check-clients.ts';
import { isSessionSignedIn, signedInSessionOf } from './oidc/session-cookie.ts';
import { createEndAccountSessions } from './oidc/end-account-sessions.ts';
import { createFindAccount } from './oidc/find-account.ts';
import { createMfaPrompt } from './oidc/mfa-prompt.ts';
import { prefetchAuthorizationRecords } from './oidc/prefetch-session.ts';
import { refuseOtherMethodsAtBrowserEndpoints } from './oidc/browser-only-endpoints.ts';
import { isProviderApiRequest } from './oidc/provider-api-paths.ts';
import { limitSignInStarts } from './oidc/limit-sign-in-starts.ts';
import { capProviderBodies } from './oidc/cap-provider-bodies.ts';
import { relatedRecordKeys } from './oidc/related-records.ts';
import { noteReplayedGrantSource } from './oidc/replayed-grant-source.ts';
import { createStoreAdapterClass } from './oidc/store-adapter.ts';
import { VIEWS_DIR } from './paths.ts';
import { createSecurityNotices } from './mail/security-notices.ts';
import type { AuditLog } from './observability/audit-log.ts';
import { instrumentMailQueue, instrumentSignInCodes, observeProvider, reportRaceRevocation } from './observability/instrument.ts';
import type { Metrics } from './observability/metrics.ts';
import { createRequestObserver, countPublishedDocument } from './observability/observe-requests.ts';
import { createOpsRouter, type OpsRouterOptions } from './observability/ops-router.ts';
import type { Readiness } from './observability/readiness.ts';
import { createRequestScopedStore } from './store/request-scope.ts';
import type { Store } from './store/store.ts';

export interface AppDeps {
  config: Readonly<Config>;
  store: Store;
  mailQueue: MailQueue;
  logger: Logger;
  audit: AuditLog;
  metrics: Metrics;
  readiness: Readiness;
  /** Present in development when no SMTP server is configured. */
  devOutbox?: DevOutbox;
  /** The private JWKS to sign with (the shared key set with Redis). @default config.jwks */
  jwks?: Config['jwks'];
  /** The registrations in force (oidc/client-registry.ts), which replaceClients changes. */
  clients: ClientRegistry;
}

export interface SesameApp {
  app: Koa;
  /** Stands for the current oidc-provider instance (see oidc/swappable-provider.ts). */
  provider: Provider;
  /** The node:http handler: discovery and JWKS from memory once cached, programs calling the JSON endpoints through a lean Koa app, everything else through `app`. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  published: PublishedDocuments;
  /** Starts signing and publishing with a new key set; requests in flight finish with the old one. */
  replaceSigningKeys(jwks: Config['jwks']): void;
  /**
   * Checks `clients` as start-up does (oidc/check-clients.ts) and puts them in force: the next
   * request is served with them, requests in flight finish with the old ones. Throws a
   * ConfigError and changes nothing when the provider refuses one.
   */
  replaceClients(clients: readonly ClientRegistration[]): Promise<void>;
}

/** Builds the Koa app: middleware order, interaction routes, provider mount. No env, no I/O. */
export function createApp({ config, store: sharedStore, mailQueue: queue, logger, audit, metrics, readiness, devOutbox, jwks = config.jwks, clients }: AppDeps): SesameApp {
  // Everything below talks to the store through the request scope: one unit of work per request.
  const { store, scopes } = createRequestScopedStore(sharedStore);
  const accounts = createAccounts({ store });
  // Queued with the request's last batch of writes: after the sign-in record, in the same round trip.
  const instrumented = instrumentMailQueue(queue, metrics);
  const mailQueue: MailQueue = {
    ...instrumented,
    enqueue: (job, options) => scopes.defer(() => instrumented.enqueue(job, options)),
    // A security notice is held at once, before the change it tells of (mail/security-notices.ts),
    // and released or cancelled with the request's last writes: they cost no round trip of their own.
    async hold(job, holdMs) {
      const held = await instrumented.hold(job, holdMs);
      return { release: () => scopes.defer(held.release), cancel: () => scopes.defer(held.cancel) };
    },
  };
  const notices = createSecurityNotices({ mailQueue });
  // Each refusal is counted; the operator's log has a line a minute at most while it lasts.
  let refusalLoggedAt = -Infinity;
  const mailCeiling = createMailCeiling({
    ceiling: config.mailQueue.ceiling,
    counts: () => queue.jobCounts(),
    onRefused: (waiting) => {
      metrics.mailsRefused.inc();
      if (Date.now() - refusalLoggedAt < 60_000) return;
      refusalLoggedAt = Date.now();
      logger.warn({ waiting, ceiling: config.mailQueue.ceiling }, 'mail queue at its ceiling (mailQueue.ceiling): new sign-in and change-of-address mail is refused with a 503 until it drains; is the relay down, or is someone flooding the sign-in form?');
    },
  });
  // Every limit, lockout and code lives in the one Store: shared by all instances on one Redis.
  // Called by the failure that locks: inside its request, so the audit line names that request.
  const onLocked = (streak: LockoutStreak, address: string) => {
    metrics.lockouts.inc({ streak });
    audit.record({ event: 'lockout.begun', streak, address });
  };
  const lockout = createSignInLockout({ store, config, onLocked });
  const rateLimits = createRateLimitGuard(createRateLimiter({ store, hmacKey: config.hmacKey }));
  const limits = signInLimits(config);
  const signInCodes = instrumentSignInCodes(createSignInCodes({
    store,
    hmacKey: config.hmacKey,
    ttlSeconds: config.signInCode.ttlSeconds,
    codeLength: config.signInCode.length,
    maxWrongAttempts: config.signInCode.maxWrongAttempts,
    lockout,
  }), metrics);
  const approvals = createLoginApprovals({ store, ttlSeconds: config.signInCode.ttlSeconds });
  const retryAddresses = createRetryAddresses({ store, ttlSeconds: config.signInCode.ttlSeconds });
  const secondFactor = createSecondFactor({ config, store, accounts, onLocked });
  const csrf = createCsrf({ hmacKey: config.hmacKey, issuer: config.issuer });

  const renderPage = async (ctx: KoaContextWithOIDC, view: string, locals: Record<string, unknown>) => {
    const status = ctx.status;
    await (ctx as unknown as Koa.Context).render(view, locals);
    ctx.status = status;
  };
  const cookieKeys = new CookieKeys(config.cookieKeys);
  const hooks = {
    cookieKeys,
    adapter: createStoreAdapterClass(store, {
      onFound: (model, payload) => {
        scopes.warm(relatedRecordKeys(model, payload));
        noteReplayedGrantSource(payload);
      },
      onRaceRevoked: reportRaceRevocation({ logger, audit }),
    }),
    findAccount: createFindAccount(accounts, { clients: clients.fromFile }),
    renderPage,
    mfaPrompt: createMfaPrompt({ devices: secondFactor.devices }),
    backChannelLogouts: mailQueue,
  };
  const secureCookies = cookiesAreSecure(config.issuer);
  const accountSessions = createAccountSessions({
    config,
    accounts,
    csrf,
    isSessionSignedIn: (uid, accountId) => isSessionSignedIn(store, uid, accountId),
    browserSignedInAccountOf: async (ctx) => (await signedInSessionOf(store, ctx, secureCookies))?.accountId,
  });
  // The provider holds its registrations from when it is built: a new one is built for new keys
  // and for new registrations alike, with the other as in force.
  const buildProvider = (keys: Config['jwks'], registrations: readonly ClientRegistration[] = clients.fromFile()) => {
    const built = createProvider({ ...config, clients: registrations as ClientRegistration[] }, hooks, keys);
    observeProvider(built, { metrics, logger, audit });
    built.use(recordSessionDevices({ store, sessionSeconds: config.ttl.sessionSeconds }));
    built.use(paceDevicePolling({ store, pollIntervalSeconds: config.deviceFlow.pollIntervalSeconds }));
    built.use(recordDeviceDenials(audit));
    // "Sign out of Sesame on this browser" ends every session of Sesame in this browser, the account page's too,
    // and forgets which addresses signed in here ("Only sign out of <app>" ends just that app's).
    built.on('end_session.success', (ctx: Koa.Context & { oidc?: { params?: { logout?: unknown }; session?: { accountId?: string }; client?: { clientId: string } } }) => {
      const accountId = ctx.oidc?.session?.accountId;
      const allApps = Boolean(ctx.oidc?.params?.logout);
      const clientId = ctx.oidc?.client?.clientId;
      // Without either, the person chose to stay signed in: nothing ended.
      if (accountId && (allApps || clientId)) audit.record({ event: 'session.signed_out', accountId, clientId, allApps });
      if (!allApps) return;
      accountSessions.clear(ctx);
      forgetKnownAddresses(ctx, { secure: secureCookies });
    });
    return built;
  };
  const swappable = createSwappableProvider(buildProvider(jwks));
  const { provider } = swappable;
  let signingKeys = jwks;

  // TRUST_PROXY: read the client IP and protocol from X-Forwarded-*; off, those headers are ignored.
  // maxIpsCount 1 takes the address the nearest proxy appended, not one the client wrote itself.
  const app = new Koa({ proxy: config.trustProxy, maxIpsCount: 1 });
  // The provider reads its own cookies with provider.keys, the mounted routes with app.keys: they must match.
  app.keys = cookieKeys as unknown as string[];

  const observeRequest = createRequestObserver({ logger, metrics });
  const httpsOnly = createHttpsOnly({ issuer: config.issuer });
  app.use(assignRequestId);
  app.use(audit.trackRequests({ browser: true }));
  app.use(observeRequest);
  // Compiled templates are kept outside development, where edits should show on reload.
  const templates = createPageTemplates({ viewsDir: VIEWS_DIR, keepCompiled: config.nodeEnv !== 'development' });
  app.use(views(VIEWS_DIR, { extension: 'ejs', engineSource: templates.engineSource, options: { ...englishTemplateLocals, appName: config.appName, support: config.support, newAccountDomains: domainsInWords(config.signupDomains) } }));
  app.use(templates.fullTemplateNames);
  // Before the error handler, so that its page speaks the browser's language too.
  app.use(speakBrowserLanguage);
  app.use(createErrorHandler({ logger }));
  app.use(scopes.middleware);
  const hsts = sendsHsts(config);
  app.use(createSecurityHeaders({ hsts }));
  app.use(async (ctx, next) => {
    ctx.state.appName = config.appName;
    ctx.state.support = config.support;
    await next();
  });
  app.use(createStaticFiles(`${VIEWS_DIR}/static`));
  const ops = createOpsRouter({ readiness, metrics, metricsAccess: metricsAccessFor(config) });
  app.use(ops.routes());
  app.use(rejectOtherMethods(ops));
  // After the probes, which the orchestrator sends to the process itself over plain HTTP; before
  // everything a person or an app reaches through the TLS proxy.
  app.use(httpsOnly);

  // The footer's language switch (i18n/language-switch.ts): sets a display preference and goes back.
  app.use(createLanguageSwitch({ issuer: config.issuer }));

  const interactions = createInteractionRouter({ config, provider, accounts, signInCodes, approvals, retryAddresses, secondFactor, mailQueue, mailCeiling, notices, csrf, rateLimits, limits, lockout, logger, audit, scopes });
  app.use(interactions.routes());
  app.use(rejectOtherMethods(interactions));
  const account = createAccountRouter({
    config,
    accounts,
    endAccountSessions: createEndAccountSessions({ store, provider, sessionSeconds: config.ttl.sessionSeconds }),
    browserSessions: createBrowserSessions({ store, provider, accounts, hmacKey: config.hmacKey, sessionSeconds: config.ttl.sessionSeconds, clients: clients.all }),
    appsWithAccess: createAppsWithAccess({ store, provider, accounts, sessionSeconds: config.ttl.sessionSeconds, grantSeconds: config.ttl.grantSeconds, clients: clients.all }),
    signedInSessionOf: (ctx) => signedInSessionOf(store, ctx, secureCookies),
    secondFactor,
    notices,
    sessions: accountSessions,
    exchangeCode: createCodeExchange({ config, clientId: ACCOUNT_CLIENT_ID, redirectUri: `${config.issuer}/account/callback`, signingKeys: () => signingKeys }),
    emailChanges: createEmailChangeCodes({
      store,
      hmacKey: config.hmacKey,
      ttlSeconds: config.accountArea.emailChangeCodeSeconds,
      codeLength: config.signInCode.length,
      maxWrongAttempts: config.accountArea.emailChangeMaxWrongAttempts,
      lockout,
    }),
    mailQueue,
    mailCeiling,
    rateLimits,
    lockout,
    audit,
  });
  app.use(account.routes());
  app.use(rejectOtherMethods(account));
  const lookedUpUserCodes = createLookedUpUserCodes({ store, ttlSeconds: config.deviceFlow.userCodeSeconds });
  const deviceFlow = createDeviceFlowRouter({ rateLimits, perIp: limits.deviceCodeEntriesPerIp, lookedUpUserCodes, secureCookies });
  app.use(deviceFlow.routes());
  app.use(rejectOtherMethods(deviceFlow));
  if (config.devTools) app.use(createDevRouter({ config, devOutbox }).routes());
  const published = createPublishedDocuments({ hsts, trustProxy: config.trustProxy });
  app.use(published.capture);
  app.use(prefetchAuthorizationRecords(scopes));
  app.use(refuseOtherMethodsAtBrowserEndpoints);
  // What the provider keeps for someone not signed in counts against the client IP (both apps: /device/auth is an API path).
  const signInStarts = limitSignInStarts({ rateLimits, perIp: limits.signInStartsPerIp, store });
  // Outside the sign-in start limit: a body that overflowed while the library read it still counts what the library kept.
  const providerBodyCap = capProviderBodies({ maxBodyBytes: config.maxBodyBytes });
  app.use(providerBodyCap);
  app.use(signInStarts);
  app.use(swappable.middleware);

  // Programs calling token, introspection, revocation and userinfo (oidc/provider-api-paths.ts):
  // the same request id, log line, metrics, unit of work on the store and https rule, errors as
  // JSON, a fixed CSP, and none of the page middleware, whose fixed cost was about a fifth of a
  // client_credentials grant's.
  const api = new Koa({ proxy: config.trustProxy, maxIpsCount: 1 });
  api.keys = app.keys;
  api.use(assignRequestId);
  api.use(audit.trackRequests({ browser: false }));
  api.use(observeRequest);
  api.use(createErrorHandler({ logger, jsonOnly: true }));
  api.use(scopes.middleware);
  api.use(createDataSecurityHeaders({ hsts }));
  api.use(httpsOnly);
  api.use(providerBodyCap);
  api.use(signInStarts);
  api.use(swappable.middleware);

  const callback = app.callback();
  const apiCallback = api.callback();
  const pinHostToIssuer = createIssuerHostPin(config.issuer);
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    pinHostToIssuer(req);
    if (published.serve(req, res)) countPublishedDocument(metrics, req);
    else if (isProviderApiRequest(req)) void apiCallback(req, res);
    else void callback(req, res);
  };
  const replaceSigningKeys = (keys: Config['jwks']) => {
    swappable.swap(buildProvider(keys));
    signingKeys = keys;
    // The cached JWKS (and discovery) came from the old provider.
    published.invalidate();
  };
  const replaceClients = async (registrations: readonly ClientRegistration[]) => {
    let built: Provider;
    let builtWith: Config['jwks'];
    // New keys may arrive while the registrations are checked: then checked again with those, so
    // that swapping in the new registrations never brings back the old keys.
    do {
      builtWith = signingKeys;
      built = buildProvider(builtWith, registrations);
      await checkClientRegistrations(built, registrations);
    } while (builtWith !== signingKeys);
    clients.replace(registrations);
    swappable.swap(built);
  };
  return { app, provider, handler, published, replaceSigningKeys, replaceClients };
}

/** Production behind TLS: not in development, where HSTS would pin localhost to https for a year. */
export function sendsHsts(config: Readonly<Config>): boolean {
  return config.nodeEnv === 'production' && config.issuer.startsWith('https:');
}

/** A token when one is configured; otherwise open, except in production, where it is off. */
export function metricsAccessFor(config: Readonly<Config>): OpsRouterOptions['metricsAccess'] {
  if (config.metrics.token) return { token: config.metrics.token };
  return config.nodeEnv === 'production' ? 'off' : 'open';
}
