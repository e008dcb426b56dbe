// The configuration contract: environment variable → what it sets. This table is the source of
// truth for .env.example and the README's configuration table; a test renders both from it and
// checks that load-config.ts reads exactly these names.

export interface EnvVar {
  name: string;
  /** The value Sesame uses when the variable is unset; omitted when unset means "off" or "generated". */
  defaultValue?: string;
  /** A realistic value for .env.example when there is no default. */
  example?: string;
  description: string;
  secret?: boolean;
}

export const ENV_VARS: readonly EnvVar[] = [
  { name: 'NODE_ENV', defaultValue: 'development', description: 'development, test or production. production refuses every development fallback. Unset with a public https ISSUER: refused (set it either way).' },
  { name: 'PORT', defaultValue: '3000', description: 'HTTP port to listen on.' },
  { name: 'ISSUER', example: 'https://id.example.com', description: 'Public base URL of Sesame, its OpenID issuer identifier. Default http://localhost:$PORT.' },
  { name: 'APP_NAME', defaultValue: 'Sesame', description: 'Display name on pages, in mail and in authenticator apps.' },
  { name: 'SUPPORT_CONTACT', example: 'it-help@example.com', description: 'Where people get help: an email address or an https:// URL, linked in every page footer, on error pages and in every mail. Unset: no contact is shown.' },
  { name: 'REDIS_URL', example: 'redis://localhost:6379', description: 'redis:// or rediss:// URL. Unset: in-memory store (one process only, lost on restart; not in production).' },
  { name: 'REDIS_CLUSTER_NODES', example: 'redis-1:6379,redis-2:6379,redis-3:6379', description: 'Redis Cluster instead of REDIS_URL: comma-separated host:port of some cluster nodes (the rest are discovered).' },
  { name: 'REDIS_SENTINELS', example: 'sentinel-1:26379,sentinel-2:26379,sentinel-3:26379', description: 'Redis Sentinel instead of REDIS_URL: comma-separated host:port of the sentinels; needs REDIS_SENTINEL_NAME.' },
  { name: 'REDIS_SENTINEL_NAME', example: 'mymaster', description: 'Name of the master group the sentinels watch.' },
  { name: 'REDIS_USERNAME', example: 'sesame', description: 'ACL user for REDIS_CLUSTER_NODES or the Sentinel-managed master (REDIS_URL carries its own).' },
  { name: 'REDIS_PASSWORD', example: 'change-me', description: 'Password for REDIS_CLUSTER_NODES or the Sentinel-managed master (REDIS_URL carries its own).', secret: true },
  { name: 'REDIS_ALLOW_EVICTION', defaultValue: 'false', description: 'false: start-up is refused on a Redis whose maxmemory-policy evicts keys (anything but noeviction), since evicted lockouts, replay guards, rate limits and queued mail vanish without a trace. true: start anyway, with a warning.' },
  { name: 'REDIS_KEY_PREFIX', defaultValue: 'sesame:', description: 'Prefix of every Redis key, so several deployments can share one Redis. No braces: they would become a Cluster hash tag.' },
  { name: 'SMTP_URL', example: 'smtp://user:password@smtp.example.com:587', description: 'smtp:// or smtps:// URL of the mail relay. Unset: dev outbox at /dev/outbox (not in production; with a public https issuer only in the log).', secret: true },
  { name: 'MAIL_WORKER', defaultValue: 'on', description: 'on: this process also sends the queued mail. off: only queue it, for a separate `npm run worker` (needs Redis).' },
  { name: 'MAIL_FROM', example: 'Sesame <no-reply@example.com>', description: 'From header of sign-in mail: "Name <address>" or an address. Default "$APP_NAME <no-reply@ISSUER host>".' },
  { name: 'CLIENTS_FILE', defaultValue: 'config/clients.json', description: 'JSON array of relying-party registrations: standard client metadata plus first_party, consent_page, resource_server, mfa, remember_device, rotate_refresh_tokens, tokens_not_before and allowed_email_domains.' },
  { name: 'SIGNUP', defaultValue: 'open', description: 'open: an account is created on the first verified email. closed: only existing accounts can sign in.' },
  { name: 'SIGNUP_DOMAINS', example: 'example.com,example.org', description: 'With SIGNUP=open: only addresses at these domains (exact, comma-separated) get a new account; existing accounts elsewhere still sign in, and accounts can only change their address to these domains (an account elsewhere also within its own domain). Unset: any domain.' },
  { name: 'COOKIE_KEYS', example: 'change-me-to-32-or-more-random-characters', description: 'Comma-separated secrets (32+ characters each) that sign cookies; the first signs, all verify. Unset in development: generated into .sesame/.', secret: true },
  { name: 'HMAC_KEY', example: 'change-me-to-32-or-more-random-characters', description: 'Secret (32+ characters) keying the HMAC-SHA-256 of sign-in codes and link tokens. Unset in development: generated into .sesame/.', secret: true },
  { name: 'ENCRYPTION_KEYS', example: 'k1:BASE64URL-OF-32-RANDOM-BYTES', description: 'Comma-separated AES-256-GCM keys "id:base64url" (32 random bytes each) that encrypt secrets at rest (authenticator secrets, and the signing keys kept in Redis); the first encrypts, all decrypt, so rotate by putting a new key first. Unset in development: generated into .sesame/.', secret: true },
  { name: 'JWKS_FILE', example: '/run/secrets/jwks.json', description: 'Private JWKS that signs tokens. With Redis it only seeds the shared key set on first start (then `npm run cli -- keys`); leave it unset once the key set is in Redis. Unset in development: .sesame/jwks.json, generated once. Required in production without Redis.' },
  { name: 'SIGN_IN_CODE_TTL_SECONDS', defaultValue: '600', description: 'Lifetime of the magic link and code in a sign-in mail: 60..3600, and at most the sign-in\'s own lifetime (config/default.json ttl.interactionSeconds, 1800 as shipped: raise both for more than 30 minutes).' },
  { name: 'TRUST_PROXY', defaultValue: 'false', description: 'true only behind a reverse proxy that sets X-Forwarded-For and X-Forwarded-Proto (one hop: the client is the last X-Forwarded-For entry). Required with an https ISSUER. false: both headers are ignored.' },
  { name: 'METRICS_TOKEN', example: 'change-me-to-32-or-more-random-characters', description: 'Bearer token (32+ characters) that /metrics requires. Unset: /metrics is open in development and test, and off in production.', secret: true },
  { name: 'LOG_LEVEL', defaultValue: 'info', description: 'fatal, error, warn, info, debug, trace or silent. Audit lines are not affected (AUDIT_LOG).' },
  { name: 'AUDIT_LOG', defaultValue: 'on', description: 'on: one JSON line with "audit":true per security event (sign-ins, lockouts, account changes, sign-outs, admin commands), at level info whatever LOG_LEVEL says; the CLI writes its own to stderr. off: none.' },
];

export const ENV_VAR_NAMES: ReadonlySet<string> = new Set(ENV_VARS.map((v) => v.name));
