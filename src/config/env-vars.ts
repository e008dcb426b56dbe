// The configuration contract: environment variable → what it sets. This table is the source of
// truth for .env.example and the README's configuration table (a test keeps all three in step).

export interface EnvVar {
  name: string;
  /** Shown in .env.example and README; `undefined` means "unset by default". */
  example: string;
  description: string;
  secret?: boolean;
}

export const ENV_VARS: readonly EnvVar[] = [
  { name: 'NODE_ENV', example: 'development', description: 'development, test or production. production refuses every development fallback.' },
  { name: 'PORT', example: '3000', description: 'HTTP port to listen on.' },
  { name: 'ISSUER', example: 'http://localhost:3000', description: 'Public base URL of Sesame, the OpenID issuer identifier. Default http://localhost:$PORT.' },
  { name: 'APP_NAME', example: 'Sesame', description: 'Display name on pages and in mail.' },
  { name: 'REDIS_URL', example: '', description: 'redis:// or rediss:// URL. Unset: in-memory store (one process only, lost on restart; development only).' },
  { name: 'REDIS_KEY_PREFIX', example: 'sesame:', description: 'Prefix of every Redis key, so several deployments can share one Redis.' },
  { name: 'SMTP_URL', example: '', description: 'smtp:// or smtps:// URL of the mail relay. Unset: dev outbox at /dev/outbox (development only).', secret: true },
  { name: 'MAIL_FROM', example: 'Sesame <no-reply@localhost>', description: 'From header of sign-in mail.' },
  { name: 'CLIENTS_FILE', example: 'config/clients.json', description: 'JSON array of relying-party registrations (standard client metadata plus first_party).' },
  { name: 'SIGNUP', example: 'open', description: 'open: an account is created on the first verified email. closed: only existing accounts can sign in.' },
  { name: 'COOKIE_KEYS', example: '', description: 'Comma-separated secrets (32+ chars each) that sign cookies; the first signs, all verify. Unset in development: generated into .sesame/.', secret: true },
  { name: 'HMAC_KEY', example: '', description: 'Secret (32+ chars) keying the HMAC-SHA-256 of sign-in codes and link tokens. Unset in development: generated into .sesame/.', secret: true },
  { name: 'JWKS_FILE', example: '.sesame/jwks.json', description: 'Private JWKS that signs tokens. Missing in development: generated once and kept there. Required in production.' },
  { name: 'SIGN_IN_CODE_TTL_SECONDS', example: '600', description: 'Lifetime of the magic link and code in a sign-in mail (60..3600).' },
  { name: 'TRUST_PROXY', example: 'false', description: 'true when behind a reverse proxy that sets X-Forwarded-For/-Proto. Never trust it otherwise.' },
  { name: 'LOG_LEVEL', example: 'info', description: 'fatal, error, warn, info, debug or trace.' },
];
