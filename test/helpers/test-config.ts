import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ClientRegistration, Config } from '../../src/config/config-schema.ts';
import { validateConfig } from '../../src/config/config-schema.ts';
import { generateSigningKeys } from '../../src/config/signing-keys.ts';

let cachedKeys: Config['jwks'] | undefined;
// One per test process, like the signing keys: instances sharing a key prefix must open each
// other's sealed data (authenticator secrets, the shared signing key set).
export const TEST_ENCRYPTION_KEYS = `test1:${randomBytes(32).toString('base64url')}`;

// Tests run with the shipped abuse limits unless a test says otherwise, so the defaults are what gets exercised.
const shippedDefaults = JSON.parse(readFileSync(new URL('../../config/default.json', import.meta.url), 'utf8')) as Pick<Config, 'rateLimits' | 'signInCode'>;

export const TEST_CLIENT: ClientRegistration = {
  client_id: 'test-app',
  client_secret: 'test-app-secret-0123456789abcdef0123456789',
  client_name: 'Test App',
  redirect_uris: ['http://127.0.0.1:9/callback'],
  post_logout_redirect_uris: ['http://127.0.0.1:9/signed-out'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: 'openid email profile offline_access',
  // Opted in: most refresh tests here are about rotation and its reuse detection.
  rotate_refresh_tokens: true,
};

/** A server-side app as registered by default: confidential, its refresh tokens not rotated. */
export const SERVER_APP_CLIENT: ClientRegistration = {
  client_id: 'server-app',
  client_secret: 'server-app-secret-0123456789abcdef012345678',
  client_name: 'Server App',
  redirect_uris: ['http://127.0.0.1:9/server-callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: 'openid email offline_access',
};

export const FIRST_PARTY_CLIENT: ClientRegistration = {
  client_id: 'first-party-spa',
  client_name: 'First-party SPA',
  redirect_uris: ['http://127.0.0.1:9/spa-callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  scope: 'openid email profile offline_access',
  first_party: true,
};

export const MACHINE_CLIENT: ClientRegistration = {
  client_id: 'machine',
  client_secret: 'machine-secret-0123456789abcdef0123456789ab',
  grant_types: ['client_credentials'],
  response_types: [],
  token_endpoint_auth_method: 'client_secret_basic',
};

/** A device app (RFC 8628), as a TV or a command-line tool registers: public, no redirect_uris. Not among the defaults. */
export const DEVICE_CLIENT: ClientRegistration = {
  client_id: 'tv-app',
  client_name: 'Living Room TV',
  grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
  response_types: [],
  token_endpoint_auth_method: 'none',
  scope: 'openid email offline_access',
};

/** A valid test Config: fresh secrets, keys generated once per test file. */
export function testConfig(overrides: Partial<Config> & { issuer: string }): Readonly<Config> {
  cachedKeys ??= generateSigningKeys();
  return validateConfig({
    nodeEnv: 'test',
    port: 0,
    appName: 'Sesame',
    support: undefined,
    redis: { url: undefined, keyPrefix: 'unused:' },
    mail: { smtpUrl: undefined, from: 'Sesame <no-reply@sesame.test>' },
    clients: [TEST_CLIENT, SERVER_APP_CLIENT, FIRST_PARTY_CLIENT, MACHINE_CLIENT],
    signup: 'open',
    signupDomains: [],
    cookieKeys: [randomBytes(32).toString('base64url')],
    hmacKey: randomBytes(32).toString('base64url'),
    encryptionKeys: TEST_ENCRYPTION_KEYS,
    jwks: cachedKeys,
    signingKeys: { reloadIntervalSeconds: 10, promoteAfterSeconds: 3600 },
    mailQueue: { worker: 'on', attempts: 10, backoffMs: 100, concurrency: 4, ceiling: 50_000 },
    metrics: { token: undefined },
    shutdownGraceSeconds: 5,
    readinessMailCheckSeconds: 15,
    signInCode: { length: 6, ttlSeconds: 600, maxWrongAttempts: 5, maxConsecutiveFailures: shippedDefaults.signInCode.maxConsecutiveFailures, lockoutSeconds: shippedDefaults.signInCode.lockoutSeconds },
    ttl: {
      interactionSeconds: 900,
      sessionSeconds: 86400,
      accessTokenSeconds: 600,
      authorizationCodeSeconds: 60,
      idTokenSeconds: 600,
      refreshTokenSeconds: 86400,
      grantSeconds: 86400,
    },
    secondFactor: {
      rememberDeviceDays: 30,
      enrollmentSeconds: 900,
      maxAttemptsPerSignIn: 5,
      accountAttempts: { limit: 10, windowSeconds: 900 },
      maxConsecutiveFailures: 20,
      lockoutSeconds: 86400,
    },
    accountArea: { sessionSeconds: 900, freshSecondFactorSeconds: 300, emailChangeCodeSeconds: 600, emailChangeMaxWrongAttempts: 5 },
    // Devices poll every second rather than the shipped five, so a device sign-in takes a test that long.
    deviceFlow: { userCodeSeconds: 600, pollIntervalSeconds: 1 },
    maxBodyBytes: 16384,
    rateLimits: shippedDefaults.rateLimits,
    trustProxy: false,
    logLevel: 'silent',
    auditLog: 'on',
    devTools: false,
    ...overrides,
  });
}
