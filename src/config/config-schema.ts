import { parseEncryptionKeys } from '../auth/secret-box.ts';
import { parseMailbox } from '../mail/mime-message.ts';
import { parseMailDomain } from '../auth/email-address.ts';
import { allowedEmailDomainsProblem } from '../oidc/app-email-domains.ts';
import { isSafeSupportContact, type SupportContact } from './support-contact.ts';

export type NodeEnv = 'development' | 'test' | 'production';
export type SignupPolicy = 'open' | 'closed';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** Per-client second-factor policy (README "Two-factor sign-in"). */
export type ClientMfaPolicy = 'off' | 'optional' | 'required';
export const CLIENT_MFA_POLICIES: readonly ClientMfaPolicy[] = ['off', 'optional', 'required'];

/** Relying-party registration: standard client metadata plus Sesame's own keys. */
export interface ClientRegistration {
  client_id: string;
  client_secret?: string;
  client_name?: string;
  /** Required, unless `response_types` is [] (a machine client). */
  redirect_uris?: string[];
  post_logout_redirect_uris?: string[];
  grant_types?: string[];
  response_types?: string[];
  token_endpoint_auth_method?: string;
  scope?: string;
  /** Skips the consent prompt: the app belongs to the operator of this Sesame. */
  first_party?: boolean;
  /** true: consent to this app is asked on a page of its own after sign-in, not beside the sign-in button. @default false */
  consent_page?: boolean;
  /** When this app's sign-ins ask for the authenticator app. @default "optional" */
  mfa?: ClientMfaPolicy;
  /** false: "remember this browser" is neither offered nor honoured for this app. @default true */
  remember_device?: boolean;
  /** true: each refresh replaces the refresh token (always so for public clients). @default false for confidential clients */
  rotate_refresh_tokens?: boolean;
  /** ISO 8601 instant: every token of this app first issued before it is refused (oidc/client-token-cutoff.ts). */
  tokens_not_before?: string;
  /** Only accounts with an address at these domains sign in to this app (oidc/app-email-domains.ts). */
  allowed_email_domains?: string[];
  [metadata: string]: unknown;
}

/** A budget of hits per window; see auth/rate-limiter.ts. */
export interface RateLimitSetting {
  limit: number;
  windowSeconds: number;
}

export interface Config {
  nodeEnv: NodeEnv;
  port: number;
  issuer: string;
  appName: string;
  /** SUPPORT_CONTACT: named on every page and in every mail where people are told to ask for help; unset, nowhere. */
  support: SupportContact | undefined;
  redis: RedisConfig;
  mail: { smtpUrl: string | undefined; from: string };
  mailQueue: MailQueueConfig;
  clients: ClientRegistration[];
  signup: SignupPolicy;
  /** SIGNUP_DOMAINS, normalised as addresses are (accounts/signup-policy.ts); empty: any domain. */
  signupDomains: readonly string[];
  cookieKeys: string[];
  hmacKey: string;
  /** `id:base64url,...` AES-256-GCM keys for TOTP secrets at rest; the first seals, all open. */
  encryptionKeys: string;
  /** The JWKS_FILE: the key set itself without Redis; with Redis only the seed of the shared key set (may be empty). */
  jwks: { keys: Record<string, unknown>[] };
  signingKeys: SigningKeysConfig;
  metrics: { token: string | undefined };
  /** How long in-flight requests may take to finish after SIGTERM before their connections are cut. */
  shutdownGraceSeconds: number;
  /** How long a mail-transport check answers /readyz before the relay is asked again. */
  readinessMailCheckSeconds: number;
  signInCode: {
    length: number;
    ttlSeconds: number;
    /** Wrong entries one issued code survives. */
    maxWrongAttempts: number;
    /** Consecutive wrong codes per address, across sign-ins, before codes are switched off for it (NIST SP 800-63B §5.2.2: at most 100). */
    maxConsecutiveFailures: number;
    /** How long such a streak, and so the lock, lasts from its first failure. */
    lockoutSeconds: number;
  };
  ttl: {
    interactionSeconds: number;
    sessionSeconds: number;
    accessTokenSeconds: number;
    authorizationCodeSeconds: number;
    idTokenSeconds: number;
    refreshTokenSeconds: number;
    grantSeconds: number;
  };
  secondFactor: {
    /** How long "remember this browser" skips the authenticator prompt; 0 turns the offer off. */
    rememberDeviceDays: number;
    /** How long a scanned but unconfirmed authenticator secret waits for its first code. */
    enrollmentSeconds: number;
    /** Codes (TOTP or recovery) one sign-in may try. */
    maxAttemptsPerSignIn: number;
    /** Codes one account may try per window, across all sign-ins. */
    accountAttempts: { limit: number; windowSeconds: number };
    /** Consecutive wrong codes that lock the second factor (NIST SP 800-63B: at most 100). */
    maxConsecutiveFailures: number;
    lockoutSeconds: number;
  };
  accountArea: {
    /** Lifetime of the /account page's own session cookie. */
    sessionSeconds: number;
    /** How recent a sign-in must be to set up an authenticator (on the account page or in a sign-in's step-up), change the address or delete the account, and a second-factor check to remove the authenticator or renew recovery codes. */
    freshSecondFactorSeconds: number;
    /** Lifetime of the code mailed to a new address to confirm a change of address. */
    emailChangeCodeSeconds: number;
    /** Wrong entries one such code survives. */
    emailChangeMaxWrongAttempts: number;
  };
  /** The device authorization grant (RFC 8628): signing in a TV or a command-line tool from a phone or laptop. */
  deviceFlow: {
    /** How long a device's user code (and its device code) can be used: typed, approved, polled. */
    userCodeSeconds: number;
    /** How often a device may poll the token endpoint (`interval`); faster polls get `slow_down`. */
    pollIntervalSeconds: number;
  };
  maxBodyBytes: number;
  rateLimits: {
    /**
     * Sign-in mails per normalised address, whether or not it has an account, from all client IPs
     * together: the ceiling against mail bombing.
     */
    signInMailPerAddress: RateLimitSetting;
    /**
     * Each client IP's share of an address's sign-in mails. A client past its share is refused
     * without using up the address's budget, so one client alone cannot stop someone's mail.
     */
    signInMailPerAddressFromOneIp: RateLimitSetting;
    /** Sign-in mails requested from one client IP (an IPv6 /64). */
    signInMailPerIp: RateLimitSetting;
    /** Codes typed from one client IP, right or wrong. */
    codeEntriesPerIp: RateLimitSetting;
    /** Device user codes entered at /device from one client IP, right or wrong (RFC 8628 §5.1: they are short enough to guess). */
    deviceCodeEntriesPerIp: RateLimitSetting;
    /**
     * What oidc-provider keeps in Redis for someone not signed in, from one client IP: sign-ins
     * started at /auth, pushed requests, device codes, and the sessions of /device's and
     * /session/end's forms (oidc/limit-sign-in-starts.ts). Without it one client fills Redis.
     */
    signInStartsPerIp: RateLimitSetting;
    /** Requests to move one account to another address (each mails a code to the new one). */
    emailChangePerAccount: RateLimitSetting;
    /** Requests to move any account to another address, from one client IP. */
    emailChangePerIp: RateLimitSetting;
    /** Change-of-address mails to one address, from every account together: nobody's mailbox is a target. */
    emailChangePerRecipient: RateLimitSetting;
  };
  /** Behind a reverse proxy: read the client IP and https from X-Forwarded-For/-Proto (one hop). */
  trustProxy: boolean;
  logLevel: LogLevel;
  /** on: security events are written as audit lines (observability/audit-log.ts) whatever logLevel says; off: not at all. */
  auditLog: 'on' | 'off';
  /** Development conveniences: /dev/outbox and /demo. Never on in production. */
  devTools: boolean;
}

export interface HostPort {
  host: string;
  port: number;
}

/** One Redis deployment: a URL (standalone), Cluster seed nodes, or Sentinels; or none (in-memory store). */
export interface RedisConfig {
  url: string | undefined;
  clusterNodes?: HostPort[];
  sentinels?: HostPort[];
  sentinelName?: string;
  /** Credentials of the data nodes for Cluster and Sentinel; a REDIS_URL carries its own. */
  username?: string;
  password?: string;
  keyPrefix: string;
  /** REDIS_ALLOW_EVICTION: start on a Redis whose maxmemory-policy evicts keys (store/eviction-policy.ts), with a warning. */
  allowEviction?: boolean;
}

export interface MailQueueConfig {
  /** on: this process sends queued mail; off: it only queues, and `npm run worker` sends. */
  worker: 'on' | 'off';
  /** Delivery attempts per mail before it is given up. */
  attempts: number;
  /** First retry delay; each later one doubles. */
  backoffMs: number;
  concurrency: number;
  /**
   * Jobs waiting to be sent (all processes, all addresses; those given up not counted) past which
   * new sign-in and change-of-address mail is refused with a 503; security notices and logout
   * tokens are always accepted (mail/mail-ceiling.ts).
   */
  ceiling: number;
}

export interface SigningKeysConfig {
  /** How often each instance checks the shared key set for changes. */
  reloadIntervalSeconds: number;
  /** How long a new key must be published in JWKS before `keys promote` lets it sign. */
  promoteAfterSeconds: number;
}

/** True when the configuration names a Redis deployment (standalone, Cluster or Sentinel). */
export function usesRedis(redis: RedisConfig): boolean {
  return redis.url !== undefined || (redis.clusterNodes?.length ?? 0) > 0 || (redis.sentinels?.length ?? 0) > 0;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Collects every problem of one configuration before failing, so an operator fixes them in one go. */
export class ProblemList {
  readonly problems: string[] = [];
  add(setting: string, message: string) {
    this.problems.push(`${setting}: ${message}`);
  }
  throwIfAny() {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

const MIN_SECRET_LENGTH = 32;
/** Client ids of Sesame's built-in relying parties (the account page, the development demo). */
export const RESERVED_CLIENT_IDS: readonly string[] = ['sesame-account', 'sesame-demo'];

/** Checks a fully assembled Config; returns it deep-frozen or throws ConfigError listing every problem. */
export function validateConfig(config: Config, problems = new ProblemList()): Readonly<Config> {
  const { nodeEnv } = config;

  if (!['development', 'test', 'production'].includes(nodeEnv)) problems.add('NODE_ENV', `must be development, test or production (got "${nodeEnv}")`);
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) problems.add('PORT', `must be an integer 0..65535 (got ${config.port})`);

  let issuer: URL | undefined;
  try {
    issuer = new URL(config.issuer);
    if (!['http:', 'https:'].includes(issuer.protocol)) problems.add('ISSUER', `must be an http(s) URL (got "${config.issuer}")`);
    if (issuer.search || issuer.hash) problems.add('ISSUER', 'must not have a query or fragment');
    if (issuer.pathname !== '/' && issuer.pathname !== '') problems.add('ISSUER', 'must not have a path: mount Sesame at the root of its own host');
    // Sesame itself speaks plain HTTP: https is a TLS-terminating proxy's job, and only its
    // X-Forwarded-Proto tells Sesame that a request came over https (for Secure cookies).
    if (issuer.protocol === 'https:' && !config.trustProxy) {
      problems.add('TRUST_PROXY', 'must be true with an https ISSUER: Sesame serves plain HTTP behind a TLS-terminating proxy and learns about https from its X-Forwarded-Proto');
    }
  } catch {
    problems.add('ISSUER', `must be an absolute URL (got "${config.issuer}")`);
  }

  validateRedis(config.redis, problems);
  if (config.mail.smtpUrl !== undefined && !/^smtps?:\/\//.test(config.mail.smtpUrl)) {
    problems.add('SMTP_URL', 'must start with smtp:// or smtps://');
  }
  try {
    parseMailbox(config.mail.from);
  } catch (error) {
    problems.add('MAIL_FROM', (error as Error).message);
  }
  if (!['open', 'closed'].includes(config.signup)) problems.add('SIGNUP', `must be open or closed (got "${config.signup}")`);
  if (config.signupDomains.length > 0 && config.signup !== 'open') problems.add('SIGNUP_DOMAINS', 'needs SIGNUP=open: with closed sign-up nobody gets a new account, at any domain');
  if (config.signupDomains.some((domain) => parseMailDomain(domain) !== domain)) problems.add('SIGNUP_DOMAINS', 'must be mail domains like example.com, in lower case and ASCII');
  if (config.cookieKeys.length === 0) problems.add('COOKIE_KEYS', 'must be set (comma-separated secrets of 32+ characters)');
  config.cookieKeys.forEach((key, i) => {
    if (key.length < MIN_SECRET_LENGTH) problems.add('COOKIE_KEYS', `key ${i + 1} must be at least ${MIN_SECRET_LENGTH} characters (got ${key.length})`);
  });
  if (config.hmacKey === '') problems.add('HMAC_KEY', `must be set (a secret of ${MIN_SECRET_LENGTH}+ characters)`);
  else if (config.hmacKey.length < MIN_SECRET_LENGTH) problems.add('HMAC_KEY', `must be at least ${MIN_SECRET_LENGTH} characters (got ${config.hmacKey.length})`);
  if (config.encryptionKeys.trim() === '') problems.add('ENCRYPTION_KEYS', 'must be set (comma-separated "id:base64url" keys of 32 bytes; the first encrypts)');
  else {
    try {
      parseEncryptionKeys(config.encryptionKeys);
    } catch (error) {
      problems.add('ENCRYPTION_KEYS', (error as Error).message.replace(/^encryption keys: /, ''));
    }
  }
  if (config.hmacKey !== '' && config.cookieKeys.includes(config.hmacKey)) problems.add('HMAC_KEY', 'must differ from every COOKIE_KEYS entry: one secret per purpose');
  const redis = usesRedis(config.redis);
  // With Redis the key set lives there (JWKS_FILE only seeds it); without, the file is the key set.
  if (!Array.isArray(config.jwks.keys) || (config.jwks.keys.length === 0 && !redis)) problems.add('JWKS_FILE', 'must hold a JWKS with at least one private key');
  else if (config.jwks.keys.length > 0 && !config.jwks.keys.some((key) => key.kty === 'RSA')) problems.add('JWKS_FILE', 'must include an RSA key: RS256 is required for interoperability');
  const { signingKeys } = config;
  if (!isIntIn(signingKeys.reloadIntervalSeconds, 1, 3600)) problems.add('signingKeys.reloadIntervalSeconds', `must be an integer 1..3600 (got ${signingKeys.reloadIntervalSeconds})`);
  if (!isIntIn(signingKeys.promoteAfterSeconds, 0, 30 * 86400)) problems.add('signingKeys.promoteAfterSeconds', `must be an integer 0..2592000 (got ${signingKeys.promoteAfterSeconds})`);

  const queue = config.mailQueue;
  if (!['on', 'off'].includes(queue.worker)) problems.add('MAIL_WORKER', `must be on or off (got "${queue.worker}")`);
  else if (queue.worker === 'off' && !redis) problems.add('MAIL_WORKER', 'off needs Redis: without it mail is queued in this process, and nothing else could send it');
  if (!isIntIn(queue.attempts, 1, 100)) problems.add('mailQueue.attempts', `must be an integer 1..100 (got ${queue.attempts})`);
  if (!isIntIn(queue.backoffMs, 1, 3_600_000)) problems.add('mailQueue.backoffMs', `must be an integer 1..3600000 (got ${queue.backoffMs})`);
  if (!isIntIn(queue.concurrency, 1, 100)) problems.add('mailQueue.concurrency', `must be an integer 1..100 (got ${queue.concurrency})`);
  if (!isIntIn(queue.ceiling, 1, 10_000_000)) problems.add('mailQueue.ceiling', `must be an integer 1..10000000 (got ${queue.ceiling})`);
  if (config.metrics.token !== undefined && config.metrics.token.length < MIN_SECRET_LENGTH) {
    problems.add('METRICS_TOKEN', `must be at least ${MIN_SECRET_LENGTH} characters (got ${config.metrics.token.length})`);
  }
  if (!isIntIn(config.shutdownGraceSeconds, 0, 600)) problems.add('shutdownGraceSeconds', `must be an integer 0..600 (got ${config.shutdownGraceSeconds})`);
  if (!isIntIn(config.readinessMailCheckSeconds, 0, 3600)) problems.add('readinessMailCheckSeconds', `must be an integer 0..3600 (got ${config.readinessMailCheckSeconds})`);

  const code = config.signInCode;
  if (!isIntIn(code.ttlSeconds, 60, 3600)) problems.add('SIGN_IN_CODE_TTL_SECONDS', `must be an integer 60..3600 (got ${code.ttlSeconds})`);
  if (!isIntIn(code.length, 6, 10)) problems.add('signInCode.length', `must be an integer 6..10 (got ${code.length})`);
  if (!isIntIn(code.maxWrongAttempts, 1, 10)) problems.add('signInCode.maxWrongAttempts', `must be an integer 1..10 (got ${code.maxWrongAttempts})`);
  if (!isIntIn(code.maxConsecutiveFailures, 1, 100)) {
    problems.add('signInCode.maxConsecutiveFailures', `must be an integer 1..100: NIST SP 800-63B allows at most 100 (got ${code.maxConsecutiveFailures})`);
  }
  if (!isIntIn(code.lockoutSeconds, 60, 30 * 86400)) problems.add('signInCode.lockoutSeconds', `must be an integer 60..2592000 (got ${code.lockoutSeconds})`);
  for (const [name, seconds] of Object.entries(config.ttl)) {
    if (!isIntIn(seconds, 1, 10 * 365 * 86400)) problems.add(`ttl.${name}`, `must be a positive integer (got ${seconds})`);
  }
  if (config.ttl.interactionSeconds < code.ttlSeconds) {
    problems.add('ttl.interactionSeconds', `(${config.ttl.interactionSeconds}, config/default.json) must be at least SIGN_IN_CODE_TTL_SECONDS (${code.ttlSeconds}): a link must not outlive its sign-in. Raise it too, or choose a shorter SIGN_IN_CODE_TTL_SECONDS`);
  }
  if (config.ttl.grantSeconds < config.ttl.refreshTokenSeconds) {
    problems.add('ttl.grantSeconds', 'must be at least ttl.refreshTokenSeconds: the grant caps every refresh token');
  }
  if (config.appName.trim() === '' || config.appName.length > 64 || config.appName.includes(':')) {
    problems.add('APP_NAME', 'must be 1-64 characters without ":" (it is the issuer name in authenticator apps)');
  }
  // loadConfig parsed SUPPORT_CONTACT already; this holds a configuration built in code to the same rule.
  if (config.support !== undefined && !isSafeSupportContact(config.support)) problems.add('SUPPORT_CONTACT', 'must link to mailto: an address or an https:// URL');
  const second = config.secondFactor;
  if (!isIntIn(second.rememberDeviceDays, 0, 365)) problems.add('secondFactor.rememberDeviceDays', `must be an integer 0..365 (got ${second.rememberDeviceDays})`);
  if (!isIntIn(second.enrollmentSeconds, 60, 3600)) problems.add('secondFactor.enrollmentSeconds', `must be an integer 60..3600 (got ${second.enrollmentSeconds})`);
  if (!isIntIn(second.maxAttemptsPerSignIn, 1, 20)) problems.add('secondFactor.maxAttemptsPerSignIn', `must be an integer 1..20 (got ${second.maxAttemptsPerSignIn})`);
  if (!isIntIn(second.accountAttempts.limit, 1, 100)) problems.add('secondFactor.accountAttempts.limit', `must be an integer 1..100 (got ${second.accountAttempts.limit})`);
  if (!isIntIn(second.accountAttempts.windowSeconds, 60, 86400)) problems.add('secondFactor.accountAttempts.windowSeconds', `must be an integer 60..86400 (got ${second.accountAttempts.windowSeconds})`);
  if (!isIntIn(second.maxConsecutiveFailures, 1, 100)) problems.add('secondFactor.maxConsecutiveFailures', `must be an integer 1..100, NIST SP 800-63B's ceiling (got ${second.maxConsecutiveFailures})`);
  if (!isIntIn(second.lockoutSeconds, 60, 30 * 86400)) problems.add('secondFactor.lockoutSeconds', `must be an integer 60..2592000 (got ${second.lockoutSeconds})`);
  const area = config.accountArea;
  if (!isIntIn(area.sessionSeconds, 60, 86400)) problems.add('accountArea.sessionSeconds', `must be an integer 60..86400 (got ${area.sessionSeconds})`);
  if (!isIntIn(area.freshSecondFactorSeconds, 30, 3600)) problems.add('accountArea.freshSecondFactorSeconds', `must be an integer 30..3600 (got ${area.freshSecondFactorSeconds})`);
  if (!isIntIn(area.emailChangeCodeSeconds, 60, 3600)) problems.add('accountArea.emailChangeCodeSeconds', `must be an integer 60..3600 (got ${area.emailChangeCodeSeconds})`);
  if (!isIntIn(area.emailChangeMaxWrongAttempts, 1, 10)) problems.add('accountArea.emailChangeMaxWrongAttempts', `must be an integer 1..10 (got ${area.emailChangeMaxWrongAttempts})`);
  const device = config.deviceFlow;
  // RFC 8628 §5.1, §6.1: a user code is short enough to guess, so it must not live long.
  if (!isIntIn(device?.userCodeSeconds, 60, 1800)) problems.add('deviceFlow.userCodeSeconds', `must be an integer 60..1800 (got ${device?.userCodeSeconds})`);
  if (!isIntIn(device?.pollIntervalSeconds, 1, 60)) problems.add('deviceFlow.pollIntervalSeconds', `must be an integer 1..60 (got ${device?.pollIntervalSeconds})`);
  if (!isIntIn(config.maxBodyBytes, 1024, 1024 * 1024)) problems.add('maxBodyBytes', `must be an integer 1024..1048576 (got ${config.maxBodyBytes})`);
  for (const [name, setting] of Object.entries(config.rateLimits ?? {})) {
    if (!isIntIn(setting?.limit, 1, 1_000_000)) problems.add(`rateLimits.${name}.limit`, `must be an integer 1..1000000 (got ${setting?.limit})`);
    if (!isIntIn(setting?.windowSeconds, 1, 86400)) problems.add(`rateLimits.${name}.windowSeconds`, `must be an integer 1..86400 (got ${setting?.windowSeconds})`);
  }
  for (const name of ['signInMailPerAddress', 'signInMailPerAddressFromOneIp', 'signInMailPerIp', 'codeEntriesPerIp', 'deviceCodeEntriesPerIp', 'signInStartsPerIp', 'emailChangePerAccount', 'emailChangePerIp', 'emailChangePerRecipient'] as const) {
    if (!config.rateLimits?.[name]) problems.add(`rateLimits.${name}`, 'must be set ({ "limit": n, "windowSeconds": s })');
  }
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    problems.add('LOG_LEVEL', `must be one of fatal, error, warn, info, debug, trace, silent (got "${config.logLevel}")`);
  }
  if (!['on', 'off'].includes(config.auditLog)) problems.add('AUDIT_LOG', `must be on or off (got "${config.auditLog}")`);
  validateClients(config.clients, problems);

  if (nodeEnv === 'production') {
    if (issuer && issuer.protocol === 'http:' && !isLoopback(issuer.hostname)) problems.add('ISSUER', 'must be https:// in production');
    if (!redis) problems.add('REDIS_URL', 'must be set in production (or REDIS_CLUSTER_NODES, or REDIS_SENTINELS): the in-memory store loses everything on restart and cannot be shared');
    if (config.mail.smtpUrl === undefined) problems.add('SMTP_URL', 'must be set in production: the dev outbox would show sign-in links to anyone');
    if (config.devTools) problems.add('NODE_ENV', 'development tools cannot be enabled in production');
  }

  problems.throwIfAny();
  return deepFreeze(config);
}

function validateRedis(redis: RedisConfig, problems: ProblemList) {
  if (redis.url !== undefined && !/^rediss?:\/\//.test(redis.url)) {
    problems.add('REDIS_URL', `must start with redis:// or rediss:// (got "${redact(redis.url)}")`);
  }
  const modes = [redis.url !== undefined && 'REDIS_URL', redis.clusterNodes && 'REDIS_CLUSTER_NODES', redis.sentinels && 'REDIS_SENTINELS'].filter(Boolean);
  if (modes.length > 1) problems.add(modes[1] as string, `cannot be combined with ${modes[0]}: set exactly one way to reach Redis`);
  for (const [setting, nodes] of [['REDIS_CLUSTER_NODES', redis.clusterNodes], ['REDIS_SENTINELS', redis.sentinels]] as const) {
    if (nodes === undefined) continue;
    if (nodes.length === 0) problems.add(setting, 'must list at least one host:port');
    for (const node of nodes) {
      if (!node.host || !isIntIn(node.port, 1, 65535)) problems.add(setting, `"${node.host}:${node.port}" is not a host:port`);
    }
  }
  if (redis.sentinels && !redis.sentinelName) problems.add('REDIS_SENTINEL_NAME', 'must be set with REDIS_SENTINELS: the name of the master group');
  if (redis.sentinelName && !redis.sentinels) problems.add('REDIS_SENTINEL_NAME', 'is only used with REDIS_SENTINELS');
  if (redis.url !== undefined && (redis.username !== undefined || redis.password !== undefined)) {
    problems.add(redis.password !== undefined ? 'REDIS_PASSWORD' : 'REDIS_USERNAME', 'is for REDIS_CLUSTER_NODES and REDIS_SENTINELS; put credentials in REDIS_URL instead');
  }
  if (/[{}]/.test(redis.keyPrefix)) problems.add('REDIS_KEY_PREFIX', 'must not contain { or }: braces would become a Redis Cluster hash tag and pin every key to one slot');
}

/** The clients file's checks: validateConfig's at start-up, and loadClients' at a reload (SIGHUP). */
export function validateClients(clients: unknown, problems: ProblemList) {
  if (!Array.isArray(clients)) {
    problems.add('CLIENTS_FILE', 'must contain a JSON array of client registrations');
    return;
  }
  const seen = new Set<string>();
  clients.forEach((client: unknown, i) => {
    const where = `CLIENTS_FILE[${i}]`;
    if (typeof client !== 'object' || client === null) {
      problems.add(where, 'must be an object');
      return;
    }
    const c = client as Record<string, unknown>;
    if (typeof c.client_id !== 'string' || c.client_id === '') problems.add(`${where}.client_id`, 'must be a non-empty string');
    else if (seen.has(c.client_id)) problems.add(`${where}.client_id`, `"${c.client_id}" is registered twice`);
    else seen.add(c.client_id);
    // A machine client (response_types: [], grant_types: ["client_credentials"]) sends no browser
    // anywhere, nor does a device (grant_types: ["urn:ietf:params:oauth:grant-type:device_code"]):
    // its person signs in at /device on another screen.
    const redirectsBrowsers = !(Array.isArray(c.response_types) && c.response_types.length === 0);
    if (redirectsBrowsers && (!Array.isArray(c.redirect_uris) || c.redirect_uris.length === 0)) {
      problems.add(`${where}.redirect_uris`, 'must be a non-empty array of URLs (a machine or device client without one sets "response_types": [])');
    } else if (c.redirect_uris !== undefined && (!Array.isArray(c.redirect_uris) || !c.redirect_uris.every((u) => typeof u === 'string'))) {
      problems.add(`${where}.redirect_uris`, 'must be an array of URLs');
    }
    // Its tokens stand for no person and carry no scope (oidc/machine-token-scope.ts); the only
    // scopes a client can register are the identity scopes, which a sign-in grants, so a machine
    // that registers one expects what it will never get. An app that also signs people in keeps its scope.
    const machineOnly = Array.isArray(c.grant_types) && c.grant_types.length > 0 && c.grant_types.every((grant) => grant === 'client_credentials');
    if (machineOnly && c.scope !== undefined) {
      problems.add(`${where}.scope`, `a machine client (grant_types ["client_credentials"]) gets tokens that stand for no person and carry no scope: remove "scope" (got ${JSON.stringify(c.scope)})`);
    }
    if (typeof c.client_id === 'string' && RESERVED_CLIENT_IDS.includes(c.client_id)) problems.add(`${where}.client_id`, `"${c.client_id}" is reserved for Sesame's own pages`);
    if (c.first_party !== undefined && typeof c.first_party !== 'boolean') problems.add(`${where}.first_party`, 'must be true or false');
    if (c.mfa !== undefined && !CLIENT_MFA_POLICIES.includes(c.mfa as ClientMfaPolicy)) problems.add(`${where}.mfa`, `must be "off", "optional" or "required" (got ${JSON.stringify(c.mfa)})`);
    if (c.remember_device !== undefined && typeof c.remember_device !== 'boolean') problems.add(`${where}.remember_device`, 'must be true or false');
    if (c.consent_page !== undefined && typeof c.consent_page !== 'boolean') problems.add(`${where}.consent_page`, 'must be true or false');
    if (c.tokens_not_before !== undefined && !(typeof c.tokens_not_before === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(c.tokens_not_before) && Number.isFinite(Date.parse(c.tokens_not_before)))) {
      problems.add(`${where}.tokens_not_before`, `must be an ISO 8601 instant with its time zone, such as "2026-12-02T10:00:00Z" (got ${JSON.stringify(c.tokens_not_before)})`);
    }
    const domainsProblem = allowedEmailDomainsProblem(c.allowed_email_domains);
    if (domainsProblem) problems.add(`${where}.allowed_email_domains`, domainsProblem);
    if (c.rotate_refresh_tokens !== undefined && typeof c.rotate_refresh_tokens !== 'boolean') problems.add(`${where}.rotate_refresh_tokens`, 'must be true or false');
    else if (c.rotate_refresh_tokens === false && c.token_endpoint_auth_method === 'none') problems.add(`${where}.rotate_refresh_tokens`, 'cannot be false for a public client: rotation is what catches a stolen refresh token (RFC 9700 §4.14.2)');
    if (c.token_endpoint_auth_method !== 'none' && c.client_secret !== undefined && (typeof c.client_secret !== 'string' || c.client_secret.length < 32)) {
      problems.add(`${where}.client_secret`, 'must be a string of at least 32 characters');
    }
  });
}

const isIntIn = (n: number | undefined, min: number, max: number): boolean => typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;
export const isLoopback = (host: string) => host === 'localhost' || host === '127.0.0.1' || host === '[::1]';

/** An https issuer at a name other than this machine's: what a deployment (or a tunnel to a laptop, as public) looks like. */
export function isPublicHttpsIssuer(issuer: string): boolean {
  const url = URL.parse(issuer);
  return url !== null && url.protocol === 'https:' && !isLoopback(url.hostname);
}

function redact(url: string) {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
