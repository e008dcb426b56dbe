import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ClientRegistration, Config, HostPort, LogLevel, MailQueueConfig, NodeEnv, RedisConfig, SignupPolicy } from './config-schema.ts';
import { ConfigError, deepFreeze, isLoopback, isPublicHttpsIssuer, ProblemList, usesRedis, validateClients, validateConfig } from './config-schema.ts';
import { devOutboxPageShown } from '../mail/dev-outbox.ts';
import { ENV_VAR_NAMES, ENV_VARS } from './env-vars.ts';
import { generateSigningKeys } from './signing-keys.ts';
import { parseSignupDomains } from '../accounts/signup-policy.ts';
import { parseSupportContact, type SupportContact } from './support-contact.ts';

export interface LoadConfigOptions {
  env: Record<string, string | undefined>;
  /** Directory that holds config/ and .sesame/. @default process.cwd() */
  rootDir?: string;
  /** Called once per development fallback that is in effect. */
  onFallback?: (message: string) => void;
}

const DEV_STATE_DIR = '.sesame';

/**
 * Merges config/default.json with the environment, reads the clients and JWKS files, and in
 * development creates the secrets it lacks (kept under .sesame/ so they survive restarts).
 * The only reader of the environment and of configuration files.
 */
export function loadConfig({ env, rootDir = process.cwd(), onFallback = () => {} }: LoadConfigOptions): Readonly<Config> {
  const problems = new ProblemList();
  // Every variable goes through here, so one table (env-vars.ts) documents all of them.
  const read = (name: string): string | undefined => {
    if (!ENV_VAR_NAMES.has(name)) throw new TypeError(`${name} is read but missing from ENV_VARS in env-vars.ts`);
    return env[name];
  };
  const defaults = readJson(resolve(rootDir, 'config/default.json'), 'config/default.json', problems) as DefaultsFile | undefined;
  const nodeEnvSetting = read('NODE_ENV');
  const nodeEnv = (nodeEnvSetting || 'development') as NodeEnv;
  const production = nodeEnv === 'production';
  const generateMissing = nodeEnv === 'development';

  const port = parseInteger(read('PORT'), 3000, 'PORT', problems);
  const issuer = (read('ISSUER') || `http://localhost:${port}`).replace(/\/$/, '');
  const devState = resolve(rootDir, DEV_STATE_DIR);
  // Development is the default so that a newcomer's `npm start` works with nothing set; a public
  // https ISSUER is a deployment, where that default would quietly generate keys and secrets on
  // local disk, register the demo app and accept the shipped example client secrets. Refused before any of it is written.
  if (!nodeEnvSetting && isPublicHttpsIssuer(issuer)) {
    problems.add('NODE_ENV', `unset, with the public ISSUER ${issuer}: set NODE_ENV=production for a deployment, or NODE_ENV=development to try development mode at this address`);
    problems.throwIfAny();
  }

  const clients = readClientsFile(read, rootDir, problems);

  const redis = readRedis(read, problems);
  const jwksSetting = read('JWKS_FILE');
  // In production only JWKS_FILE names signing keys: a development key left in .sesame/ by an
  // earlier `npm start` in the same checkout must never sign a production token (or seed the
  // shared key set in Redis).
  const jwksFile = jwksSetting ? resolve(rootDir, jwksSetting) : production ? undefined : resolve(rootDir, `${DEV_STATE_DIR}/jwks.json`);
  let jwks: Config['jwks'] = { keys: [] };
  if (jwksFile && existsSync(jwksFile)) jwks = (readJson(jwksFile, 'JWKS_FILE', problems) ?? jwks) as Config['jwks'];
  else if (generateMissing && jwksFile) {
    jwks = generateSigningKeys();
    writeSecretFile(jwksFile, jwks);
    onFallback(`signing keys: generated ${jwksFile} (development only)`);
  } else if (jwksSetting || !usesRedis(redis)) {
    // With Redis and no JWKS_FILE the key set must already be in Redis (`npm run cli -- keys init`): checked at start-up.
    problems.add('JWKS_FILE', jwksFile ? `file not found: ${jwksFile}` : 'must be set in production without Redis (with Redis, the key set lives there: npm run cli -- keys init)');
  }

  let cookieKeys = splitList(read('COOKIE_KEYS'));
  let hmacKey = read('HMAC_KEY') ?? '';
  let encryptionKeys = read('ENCRYPTION_KEYS') ?? '';
  if (generateMissing && (cookieKeys.length === 0 || hmacKey === '' || encryptionKeys === '')) {
    const secrets = developmentSecrets(resolve(devState, 'secrets.json'));
    if (cookieKeys.length === 0) cookieKeys = secrets.cookieKeys;
    if (hmacKey === '') hmacKey = secrets.hmacKey;
    if (encryptionKeys === '') encryptionKeys = secrets.encryptionKeys;
    onFallback(`secrets: using development secrets from ${DEV_STATE_DIR}/secrets.json`);
  }

  if (!read('SMTP_URL') && !production) {
    onFallback(devOutboxPageShown(issuer) ? 'mail: dev outbox at /dev/outbox (SMTP_URL unset)' : 'mail: dev outbox in this log only (SMTP_URL unset; no /dev/outbox page with a public https issuer, where anyone could read the sign-in links on it)');
  }
  if (production) refuseExampleSecrets(read, problems);
  if (refusesShippedClientSecrets(nodeEnv, issuer)) refuseShippedClientSecrets(clients, problems);

  // Without the defaults file nothing else can be checked; otherwise every problem is reported at once.
  if (!defaults) problems.throwIfAny();
  const d = defaults!;
  const config: Config = {
    nodeEnv,
    port,
    issuer,
    appName: read('APP_NAME') || d.appName,
    support: readSupportContact(read('SUPPORT_CONTACT'), problems),
    redis,
    mail: { smtpUrl: read('SMTP_URL') || undefined, from: read('MAIL_FROM') || `${read('APP_NAME') || d.appName} <no-reply@${hostnameOf(issuer)}>` },
    mailQueue: { ...d.mailQueue, worker: (read('MAIL_WORKER') || 'on') as MailQueueConfig['worker'] },
    clients,
    signup: (read('SIGNUP') || 'open') as SignupPolicy,
    signupDomains: readSignupDomains(read('SIGNUP_DOMAINS'), problems),
    cookieKeys,
    hmacKey,
    encryptionKeys,
    jwks,
    signingKeys: d.signingKeys,
    metrics: { token: read('METRICS_TOKEN') || undefined },
    shutdownGraceSeconds: d.shutdownGraceSeconds,
    readinessMailCheckSeconds: d.readinessMailCheckSeconds,
    signInCode: {
      ...d.signInCode,
      ttlSeconds: parseInteger(read('SIGN_IN_CODE_TTL_SECONDS'), d.signInCode.ttlSeconds, 'SIGN_IN_CODE_TTL_SECONDS', problems),
    },
    ttl: d.ttl,
    secondFactor: d.secondFactor,
    accountArea: d.accountArea,
    deviceFlow: d.deviceFlow,
    maxBodyBytes: d.maxBodyBytes,
    rateLimits: d.rateLimits,
    trustProxy: parseBoolean(read('TRUST_PROXY'), false, 'TRUST_PROXY', problems),
    logLevel: (read('LOG_LEVEL') || 'info') as LogLevel,
    auditLog: (read('AUDIT_LOG') || 'on') as Config['auditLog'],
    devTools: nodeEnv === 'development',
  };
  return validateConfig(config, problems);
}

/**
 * The clients file again, with exactly the checks loadConfig makes of it, for a reload (SIGHUP):
 * the same environment names the same file. Throws a ConfigError naming every problem, in the
 * words start-up would use; `config` is the configuration in force (its environment and issuer).
 */
export function loadClients({ env, rootDir = process.cwd(), config }: Omit<LoadConfigOptions, 'onFallback'> & { config: Pick<Config, 'nodeEnv' | 'issuer'> }): readonly ClientRegistration[] {
  const problems = new ProblemList();
  const clients = readClientsFile((name) => env[name], rootDir, problems);
  problems.throwIfAny();
  if (refusesShippedClientSecrets(config.nodeEnv, config.issuer)) refuseShippedClientSecrets(clients, problems);
  validateClients(clients, problems);
  problems.throwIfAny();
  return deepFreeze(clients);
}

function readClientsFile(read: (name: string) => string | undefined, rootDir: string, problems: ProblemList): ClientRegistration[] {
  const clientsFile = resolve(rootDir, read('CLIENTS_FILE') || 'config/clients.json');
  return (readJson(clientsFile, 'CLIENTS_FILE', problems) ?? []) as ClientRegistration[];
}

/** A production Sesame with a public issuer: the shipped example client secrets are public there. */
const refusesShippedClientSecrets = (nodeEnv: NodeEnv, issuer: string) => nodeEnv === 'production' && !isLoopback(URL.parse(issuer)?.hostname ?? 'localhost');

interface DefaultsFile {
  appName: string;
  signInCode: Config['signInCode'];
  ttl: Config['ttl'];
  secondFactor: Config['secondFactor'];
  accountArea: Config['accountArea'];
  deviceFlow: Config['deviceFlow'];
  maxBodyBytes: number;
  mailQueue: Omit<MailQueueConfig, 'worker'>;
  signingKeys: Config['signingKeys'];
  shutdownGraceSeconds: number;
  readinessMailCheckSeconds: number;
  rateLimits: Config['rateLimits'];
}

/** REDIS_URL, or Cluster seed nodes, or Sentinels: validateConfig checks that exactly one is set. */
function readRedis(read: (name: string) => string | undefined, problems: ProblemList): RedisConfig {
  const clusterNodes = read('REDIS_CLUSTER_NODES');
  const sentinels = read('REDIS_SENTINELS');
  const redis: RedisConfig = { url: read('REDIS_URL') || undefined, keyPrefix: read('REDIS_KEY_PREFIX') ?? 'sesame:' };
  if (parseBoolean(read('REDIS_ALLOW_EVICTION'), false, 'REDIS_ALLOW_EVICTION', problems)) redis.allowEviction = true;
  if (clusterNodes) redis.clusterNodes = parseHostPorts(clusterNodes, 'REDIS_CLUSTER_NODES', problems);
  if (sentinels) redis.sentinels = parseHostPorts(sentinels, 'REDIS_SENTINELS', problems);
  const sentinelName = read('REDIS_SENTINEL_NAME');
  const username = read('REDIS_USERNAME');
  const password = read('REDIS_PASSWORD');
  if (sentinelName) redis.sentinelName = sentinelName;
  if (username) redis.username = username;
  if (password) redis.password = password;
  return redis;
}

/** SUPPORT_CONTACT, parsed once so that no page or mail builds a link from the raw setting. Unset or empty: none. */
function readSupportContact(raw: string | undefined, problems: ProblemList): SupportContact | undefined {
  if (!raw) return undefined;
  try {
    return parseSupportContact(raw);
  } catch (error) {
    problems.add('SUPPORT_CONTACT', (error as Error).message);
    return undefined;
  }
}

function readSignupDomains(raw: string | undefined, problems: ProblemList): string[] {
  try {
    return parseSignupDomains(raw);
  } catch (error) {
    problems.add('SIGNUP_DOMAINS', (error as Error).message);
    return [];
  }
}

/** "host:port,host:port" (an IPv6 host in brackets: "[::1]:7000"). */
function parseHostPorts(raw: string, setting: string, problems: ProblemList): HostPort[] {
  const nodes: HostPort[] = [];
  for (const entry of splitList(raw)) {
    const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(entry);
    if (!match) {
      problems.add(setting, `"${entry}" is not a host:port`);
      continue;
    }
    nodes.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) });
  }
  return nodes;
}

/**
 * The example values in .env.example are public: a secret copied from there is no secret. Every
 * secret variable with an example is checked, so a new one is covered by adding it to ENV_VARS.
 * Lists (COOKIE_KEYS) are checked item by item.
 */
function refuseExampleSecrets(read: (name: string) => string | undefined, problems: ProblemList) {
  for (const { name, example, secret } of ENV_VARS) {
    if (!secret || !example) continue;
    const examples = new Set(splitList(example));
    if (splitList(read(name)).some((item) => examples.has(item))) {
      problems.add(name, 'is the example value from .env.example, which is public: generate a secret of your own (e.g. `openssl rand -base64 32`)');
    }
  }
}

/**
 * The client secrets of the example registrations in config/clients.json: they are in the
 * repository, so public. Listed here rather than read from that file, which an operator may edit
 * into their real registrations (a test keeps the two in step).
 */
export const SHIPPED_EXAMPLE_CLIENT_SECRETS: ReadonlySet<string> = new Set(['example-app-secret-for-local-development-only']);

/**
 * A production Sesame with a public issuer refuses a client whose secret is one of the shipped
 * examples'. On a loopback issuer (docker-compose up on a laptop) they stay usable for trying it out.
 */
function refuseShippedClientSecrets(clients: unknown, problems: ProblemList) {
  if (!Array.isArray(clients)) return;
  clients.forEach((client: unknown, i) => {
    const secret = (client as ClientRegistration | null)?.client_secret;
    if (typeof secret === 'string' && SHIPPED_EXAMPLE_CLIENT_SECRETS.has(secret)) {
      problems.add(`CLIENTS_FILE[${i}].client_secret`, 'is the secret of a shipped example registration, which is public: give each app a secret of its own (e.g. `openssl rand -base64 32`)');
    }
  });
}

function readJson(path: string, setting: string, problems: ProblemList): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    problems.add(setting, `file not found or unreadable: ${path}`);
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    problems.add(setting, `${path} is not valid JSON (${(error as Error).message})`);
    return undefined;
  }
}

interface DevelopmentSecrets {
  cookieKeys: string[];
  hmacKey: string;
  encryptionKeys: string;
}

/** Reads .sesame/secrets.json, adding whatever an older version of the file lacks. */
function developmentSecrets(path: string): DevelopmentSecrets {
  const existing: Partial<DevelopmentSecrets> = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
  const secrets: DevelopmentSecrets = {
    cookieKeys: existing.cookieKeys ?? [randomBytes(32).toString('base64url')],
    hmacKey: existing.hmacKey ?? randomBytes(32).toString('base64url'),
    encryptionKeys: existing.encryptionKeys ?? `dev1:${randomBytes(32).toString('base64url')}`,
  };
  if (Object.keys(secrets).some((name) => !(name in existing))) writeSecretFile(path, secrets);
  return secrets;
}

function writeSecretFile(path: string, value: unknown) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(value, null, 2), { mode: 0o600 });
}

function parseInteger(raw: string | undefined, fallback: number, setting: string, problems: ProblemList): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) {
    problems.add(setting, `must be a whole number (got "${raw}")`);
    return fallback;
  }
  return Number(raw);
}

function parseBoolean(raw: string | undefined, fallback: boolean, setting: string, problems: ProblemList): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  problems.add(setting, `must be true or false (got "${raw}")`);
  return fallback;
}

// validateConfig reports a malformed ISSUER; this only has to not throw first.
function hostnameOf(url: string): string {
  try {
    return new URL(url).hostname || 'localhost';
  } catch {
    return 'localhost';
  }
}

const splitList = (raw: string | undefined) => (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);

export { ConfigError };
