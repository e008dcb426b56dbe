import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKeys } from '../../src/config/signing-keys.ts';

/**
 * A fresh temporary directory holding the configuration this checkout ships (config/default.json
 * and config/clients.json): Sesame's working directory as an operator deploys it. The caller
 * removes it.
 */
export function makeShippedConfigDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sesame-${label}-`));
  mkdirSync(join(dir, 'config'));
  for (const file of ['default.json', 'clients.json']) cpSync(join('config', file), join(dir, 'config', file));
  return dir;
}

/**
 * A complete, valid production environment for a Sesame working in `dir` (its signing keys are
 * written there), with `overrides` applied; an override of `undefined` removes the variable.
 */
export function productionEnvironment(dir: string, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify(generateSigningKeys()));
  const secret = () => randomBytes(32).toString('base64url');
  // The shipped example apps, each with a secret of its own: the shipped secrets are public.
  const shipped = JSON.parse(readFileSync(join('config', 'clients.json'), 'utf8')) as { client_secret?: string }[];
  writeFileSync(join(dir, 'production-clients.json'), JSON.stringify(shipped.map((client) => (client.client_secret ? { ...client, client_secret: secret() } : client))));
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'production',
    ISSUER: 'https://id.example.com',
    TRUST_PROXY: 'true',
    REDIS_URL: 'redis://redis:6379',
    SMTP_URL: 'smtp://mail:25',
    COOKIE_KEYS: secret(),
    HMAC_KEY: secret(),
    ENCRYPTION_KEYS: `k1:${secret()}`,
    JWKS_FILE: join(dir, 'jwks.json'),
    CLIENTS_FILE: join(dir, 'production-clients.json'),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined)) as Record<string, string>;
}
