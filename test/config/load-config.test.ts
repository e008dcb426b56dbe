import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV_VARS } from '../../src/config/env-vars.ts';
import { ConfigError, loadClients, loadConfig, SHIPPED_EXAMPLE_CLIENT_SECRETS } from '../../src/config/load-config.ts';
import { renderEnvExample, renderReadmeTable } from '../../src/config/render-env-docs.ts';
import { generateSigningKeys } from '../../src/config/signing-keys.ts';
import { makeShippedConfigDir, productionEnvironment } from '../helpers/shipped-config-dir.ts';
import { testConfig } from '../helpers/test-config.ts';

let root: string;
const secret = () => randomBytes(32).toString('base64url');

beforeEach(() => {
  root = makeShippedConfigDir('config');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ env, rootDir: root });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const productionEnv = () => productionEnvironment(root);

describe('development', () => {
  it('starts with no configuration at all: keys and secrets generated once and kept on disk', () => {
    const fallbacks: string[] = [];
    const first = loadConfig({ env: {}, rootDir: root, onFallback: (m) => fallbacks.push(m) });
    expect(first).toMatchObject({ nodeEnv: 'development', port: 3000, issuer: 'http://localhost:3000', devTools: true, signup: 'open' });
    expect(first.redis.url).toBeUndefined();
    expect(first.mail.smtpUrl).toBeUndefined();
    expect(fallbacks.join('\n')).toMatch(/signing keys: generated/);
    expect(fallbacks.join('\n')).toMatch(/dev outbox/);
    expect(statSync(join(root, '.sesame/jwks.json')).mode & 0o077).toBe(0);
    expect(statSync(join(root, '.sesame/secrets.json')).mode & 0o077).toBe(0);

    const second = loadConfig({ env: {}, rootDir: root });
    expect(second.jwks).toEqual(first.jwks);
    expect(second.cookieKeys).toEqual(first.cookieKeys);
    expect(second.hmacKey).toBe(first.hmacKey);
    expect(second.encryptionKeys).toMatch(/^dev1:[A-Za-z0-9_-]{43}$/);
    expect(second.encryptionKeys).toBe(first.encryptionKeys);
  });

  it('adds an encryption key to a secrets file written before there was one, keeping the rest', () => {
    mkdirSync(join(root, '.sesame'));
    writeFileSync(join(root, '.sesame/secrets.json'), JSON.stringify({ cookieKeys: [secret()], hmacKey: secret() }));
    const before = JSON.parse(readFileSync(join(root, '.sesame/secrets.json'), 'utf8'));
    const config = loadConfig({ env: {}, rootDir: root });
    expect(config.cookieKeys).toEqual(before.cookieKeys);
    expect(config.hmacKey).toBe(before.hmacKey);
    const after = JSON.parse(readFileSync(join(root, '.sesame/secrets.json'), 'utf8'));
    expect(after).toMatchObject({ ...before, encryptionKeys: config.encryptionKeys });
  });

  it('refuses to guess development for a public https ISSUER (a deployment that forgot NODE_ENV), before writing anything', () => {
    expect(problemsOf({ ISSUER: 'https://id.example.com' })).toEqual([expect.stringMatching(/^NODE_ENV: unset, with the public ISSUER https:\/\/id\.example\.com: set NODE_ENV=production .*or NODE_ENV=development/)]);
    expect(existsSync(join(root, '.sesame'))).toBe(false);
    // Said either way, it is the operator's choice; and this machine's own names, or plain http on a LAN, stay development by default.
    expect(loadConfig({ env: { NODE_ENV: 'development', ISSUER: 'https://id.example.com', TRUST_PROXY: 'true' }, rootDir: root })).toMatchObject({ nodeEnv: 'development', devTools: true });
    for (const issuer of ['https://localhost:3443', 'http://192.168.1.20:3000']) expect(loadConfig({ env: { ISSUER: issuer, TRUST_PROXY: 'true' }, rootDir: root })).toMatchObject({ nodeEnv: 'development', issuer });
  });

  it('derives the issuer from PORT and reads .env-style values', () => {
    const config = loadConfig({ env: { PORT: '4100', SIGNUP: 'closed', TRUST_PROXY: 'true', APP_NAME: 'Acme ID' }, rootDir: root });
    expect(config).toMatchObject({ port: 4100, issuer: 'http://localhost:4100', signup: 'closed', trustProxy: true, appName: 'Acme ID', auditLog: 'on' });
    expect(loadConfig({ env: { AUDIT_LOG: 'off' }, rootDir: root }).auditLog).toBe('off');
    expect(config.mail.from).toBe('Acme ID <no-reply@localhost>');
  });

  it('returns a frozen configuration', () => {
    const config = loadConfig({ env: {}, rootDir: root });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.signInCode)).toBe(true);
  });
});

describe('bad values', () => {
  it('reports every problem at once, each naming its setting', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      ISSUER: 'not a url',
      REDIS_URL: 'localhost:6379',
      SMTP_URL: 'mail.example.com',
      SIGNUP: 'maybe',
      LOG_LEVEL: 'loud',
      AUDIT_LOG: 'maybe',
      TRUST_PROXY: 'perhaps',
      REDIS_ALLOW_EVICTION: 'sometimes',
      SIGN_IN_CODE_TTL_SECONDS: '5',
      COOKIE_KEYS: 'short',
      HMAC_KEY: 'short',
      MAIL_FROM: 'nobody',
    });
    const text = problems.join('\n');
    for (const setting of ['PORT', 'ISSUER', 'REDIS_URL', 'SMTP_URL', 'SIGNUP', 'LOG_LEVEL', 'AUDIT_LOG', 'TRUST_PROXY', 'REDIS_ALLOW_EVICTION', 'SIGN_IN_CODE_TTL_SECONDS', 'COOKIE_KEYS', 'HMAC_KEY', 'MAIL_FROM']) {
      expect(text).toMatch(new RegExp(`^${setting}: `, 'm'));
    }
  });

  it('reads REDIS_ALLOW_EVICTION as a yes or no, off unless said', () => {
    expect(loadConfig({ env: { REDIS_URL: 'redis://localhost:6379', REDIS_ALLOW_EVICTION: 'true' }, rootDir: root }).redis.allowEviction).toBe(true);
    expect(loadConfig({ env: { REDIS_URL: 'redis://localhost:6379', REDIS_ALLOW_EVICTION: 'false' }, rootDir: root }).redis.allowEviction).toBeUndefined();
    expect(loadConfig({ env: { REDIS_URL: 'redis://localhost:6379' }, rootDir: root }).redis.allowEviction).toBeUndefined();
  });

  it('reads SIGNUP_DOMAINS as addresses are read, and refuses what is not a plain domain', () => {
    const config = loadConfig({ env: { SIGNUP_DOMAINS: ' Example.COM, bücher.example ,example.com' }, rootDir: root });
    expect(config.signupDomains).toEqual(['example.com', 'xn--bcher-kva.example']);
    expect(loadConfig({ env: {}, rootDir: root }).signupDomains).toEqual([]);
    expect(problemsOf({ SIGNUP_DOMAINS: '@example.com' }).join('\n')).toMatch(/^SIGNUP_DOMAINS: lists domains without "@" \(got "@example.com": write "example.com"\)/m);
    expect(problemsOf({ SIGNUP_DOMAINS: '*.example.com' }).join('\n')).toMatch(/^SIGNUP_DOMAINS: lists exact domains; subdomains are not included/m);
    expect(problemsOf({ SIGNUP_DOMAINS: 'example.com,localhost' }).join('\n')).toMatch(/^SIGNUP_DOMAINS: must be mail domains like example.com, comma-separated \(got "localhost"\)/m);
    expect(problemsOf({ SIGNUP: 'closed', SIGNUP_DOMAINS: 'example.com' }).join('\n')).toMatch(/^SIGNUP_DOMAINS: needs SIGNUP=open/m);
  });

  it('refuses a lockout above NIST SP 800-63B\'s 100, malformed rate limits and a mail queue ceiling that is no number of jobs, naming each', () => {
    const defaults = JSON.parse(readFileSync(join(root, 'config/default.json'), 'utf8'));
    writeFileSync(join(root, 'config/default.json'), JSON.stringify({
      ...defaults,
      signInCode: { ...defaults.signInCode, maxConsecutiveFailures: 101, lockoutSeconds: 5 },
      rateLimits: { ...defaults.rateLimits, signInMailPerIp: { limit: 0, windowSeconds: 900 }, codeEntriesPerIp: undefined, deviceCodeEntriesPerIp: undefined, emailChangePerIp: undefined },
      accountArea: { ...defaults.accountArea, emailChangeCodeSeconds: 5, emailChangeMaxWrongAttempts: 0 },
      deviceFlow: { userCodeSeconds: 7200, pollIntervalSeconds: 0 },
      mailQueue: { ...defaults.mailQueue, ceiling: 0.5 },
    }));
    const text = problemsOf({}).join('\n');
    expect(text).toMatch(/^deviceFlow\.userCodeSeconds: must be an integer 60\.\.1800 \(got 7200\)/m);
    expect(text).toMatch(/^deviceFlow\.pollIntervalSeconds: must be an integer 1\.\.60 \(got 0\)/m);
    expect(text).toMatch(/^rateLimits\.emailChangePerIp: must be set/m);
    expect(text).toMatch(/^accountArea\.emailChangeCodeSeconds: must be an integer 60\.\.3600 \(got 5\)/m);
    expect(text).toMatch(/^accountArea\.emailChangeMaxWrongAttempts: must be an integer 1\.\.10 \(got 0\)/m);
    expect(text).toMatch(/^signInCode\.maxConsecutiveFailures: must be an integer 1\.\.100/m);
    expect(text).toMatch(/^signInCode\.lockoutSeconds: /m);
    expect(text).toMatch(/^rateLimits\.signInMailPerIp\.limit: /m);
    expect(text).toMatch(/^rateLimits\.codeEntriesPerIp: must be set/m);
    expect(text).toMatch(/^rateLimits\.deviceCodeEntriesPerIp: must be set/m);
    expect(text).toMatch(/^mailQueue\.ceiling: must be an integer 1\.\.10000000 \(got 0\.5\)/m);
  });

  it('a link lifetime longer than the sign-in\'s says which setting to raise with it', () => {
    expect(problemsOf({ SIGN_IN_CODE_TTL_SECONDS: '3600' }).join('\n')).toContain('ttl.interactionSeconds: (1800, config/default.json) must be at least SIGN_IN_CODE_TTL_SECONDS (3600): a link must not outlive its sign-in. Raise it too');
    expect(() => problemsOf({ SIGN_IN_CODE_TTL_SECONDS: '1800' })).toThrow('expected a ConfigError');
  });

  it('never prints a secret from a URL', () => {
    const text = problemsOf({ REDIS_URL: 'http://admin:hunter2hunter2@redis:6379' }).join('\n');
    expect(text).toContain('REDIS_URL');
    expect(text).not.toContain('hunter2');
  });

  it('explains what is wrong with the clients file', () => {
    writeFileSync(join(root, 'bad.json'), '[{"client_id": "a", "redirect_uris": []}, {"client_id": "a", "redirect_uris": ["https://a.example/cb"], "client_secret": "short"}, 7]');
    const text = problemsOf({ CLIENTS_FILE: join(root, 'bad.json') }).join('\n');
    expect(text).toContain('CLIENTS_FILE[0].redirect_uris: must be a non-empty array of URLs');
    expect(text).toContain('CLIENTS_FILE[1].client_id: "a" is registered twice');
    expect(text).toContain('CLIENTS_FILE[1].client_secret: must be a string of at least 32 characters');
    expect(text).toContain('CLIENTS_FILE[2]: must be an object');

    writeFileSync(join(root, 'policy.json'), JSON.stringify([
      { client_id: 'b', redirect_uris: ['https://b.example/cb'], mfa: 'always' },
      { client_id: 'c', redirect_uris: ['https://c.example/cb'], mfa: 'required', remember_device: 'no', consent_page: 'yes' },
      { client_id: 'sesame-account', redirect_uris: ['https://d.example/cb'] },
      { client_id: 'e', redirect_uris: ['https://e.example/cb'], token_endpoint_auth_method: 'none', rotate_refresh_tokens: false },
      { client_id: 'f', redirect_uris: ['https://f.example/cb'], rotate_refresh_tokens: 'yes' },
      { client_id: 'g', redirect_uris: ['https://g.example/cb'], tokens_not_before: '2026-12-02 10:00' },
      { client_id: 'h', redirect_uris: ['https://h.example/cb'], tokens_not_before: '2026-12-02T10:00:00Z', allowed_email_domains: ['corp.example'] },
      { client_id: 'i', redirect_uris: ['https://i.example/cb'], allowed_email_domains: [] },
      { client_id: 'j', redirect_uris: ['https://j.example/cb'], allowed_email_domains: ['Corp.Example'] },
      { client_id: 'k', redirect_uris: ['https://k.example/cb'], allowed_email_domains: 'corp.example' },
      { client_id: 'l', redirect_uris: ['https://l.example/cb'], allowed_email_domains: ['@corp.example'] },
    ]));
    const policy = problemsOf({ CLIENTS_FILE: join(root, 'policy.json') }).join('\n');
    expect(policy).toContain('CLIENTS_FILE[0].mfa: must be "off", "optional" or "required" (got "always")');
    expect(policy).toContain('CLIENTS_FILE[1].remember_device: must be true or false');
    expect(policy).toContain('CLIENTS_FILE[1].consent_page: must be true or false');
    expect(policy).not.toContain('CLIENTS_FILE[1].mfa');
    expect(policy).toContain('CLIENTS_FILE[2].client_id: "sesame-account" is reserved');
    expect(policy).toContain('CLIENTS_FILE[3].rotate_refresh_tokens: cannot be false for a public client');
    expect(policy).toContain('CLIENTS_FILE[4].rotate_refresh_tokens: must be true or false');
    expect(policy).toContain('CLIENTS_FILE[5].tokens_not_before: must be an ISO 8601 instant with its time zone, such as "2026-12-02T10:00:00Z" (got "2026-12-02 10:00")');
    expect(policy).not.toContain('CLIENTS_FILE[6]');
    expect(policy).toContain('CLIENTS_FILE[7].allowed_email_domains: must be a non-empty array of mail domains, like ["example.com"] (got [])');
    expect(policy).toContain('CLIENTS_FILE[8].allowed_email_domains: must list domains in lower case and ASCII, as addresses are stored: write "corp.example" (got "Corp.Example")');
    expect(policy).toContain('CLIENTS_FILE[9].allowed_email_domains: must be a non-empty array of mail domains, like ["example.com"] (got "corp.example")');
    expect(policy).toContain('CLIENTS_FILE[10].allowed_email_domains: must list mail domains like "example.com" (got "@corp.example")');

    // A machine or device client needs no redirect_uris; an app that sends browsers to sign in does, and they must be strings.
    const deviceGrant = 'urn:ietf:params:oauth:grant-type:device_code';
    writeFileSync(join(root, 'machines.json'), JSON.stringify([
      { client_id: 'm', client_secret: 'm'.repeat(32), grant_types: ['client_credentials'], response_types: [] },
      { client_id: 'n', client_secret: 'n'.repeat(32), grant_types: ['client_credentials'] },
      { client_id: 'o', redirect_uris: [7] },
      { client_id: 'tv', grant_types: [deviceGrant, 'refresh_token'], response_types: [], token_endpoint_auth_method: 'none' },
      { client_id: 'cli', grant_types: [deviceGrant], token_endpoint_auth_method: 'none' },
      // A machine's tokens stand for no person (oidc/machine-token-scope.ts): no identity scope to register.
      { client_id: 'p', client_secret: 'p'.repeat(32), grant_types: ['client_credentials'], response_types: [], scope: 'openid email' },
      { client_id: 'q', client_secret: 'q'.repeat(32), grant_types: ['authorization_code', 'client_credentials'], redirect_uris: ['https://q.example/cb'], scope: 'openid email' },
    ]));
    const machines = problemsOf({ CLIENTS_FILE: join(root, 'machines.json') }).join('\n');
    expect(machines).not.toContain('CLIENTS_FILE[0]');
    expect(machines).toContain('CLIENTS_FILE[1].redirect_uris: must be a non-empty array of URLs (a machine or device client without one sets "response_types": [])');
    expect(machines).toContain('CLIENTS_FILE[2].redirect_uris: must be an array of URLs');
    expect(machines).not.toContain('CLIENTS_FILE[3]');
    expect(machines).toContain('CLIENTS_FILE[4].redirect_uris: must be a non-empty array of URLs (a machine or device client without one sets "response_types": [])');
    expect(machines).toContain('CLIENTS_FILE[5].scope: a machine client (grant_types ["client_credentials"]) gets tokens that stand for no person and carry no scope: remove "scope" (got "openid email")');
    expect(machines).not.toContain('CLIENTS_FILE[6]');

    writeFileSync(join(root, 'broken.json'), '[{');
    expect(problemsOf({ CLIENTS_FILE: join(root, 'broken.json') }).join('\n')).toMatch(/^CLIENTS_FILE: .*is not valid JSON/m);
    expect(problemsOf({ CLIENTS_FILE: join(root, 'missing.json') }).join('\n')).toMatch(/^CLIENTS_FILE: file not found/m);
  });
});

describe('SUPPORT_CONTACT', () => {
  const supportOf = (value: string) => loadConfig({ env: { SUPPORT_CONTACT: value }, rootDir: root }).support;

  it('takes an email address or an https:// URL, and keeps the link and what pages and mail show apart', () => {
    expect(supportOf('it-help@example.com')).toEqual({ href: 'mailto:it-help@example.com', label: 'it-help@example.com', plainText: 'it-help@example.com' });
    expect(supportOf('mailto:IT.Help+id@Example.co.uk')).toEqual({ href: 'mailto:IT.Help+id@Example.co.uk', label: 'IT.Help+id@Example.co.uk', plainText: 'IT.Help+id@Example.co.uk' });
    expect(supportOf('https://help.example.com/it/sesame?from=id#contact')).toEqual({ href: 'https://help.example.com/it/sesame?from=id#contact', label: 'help.example.com/it/sesame', plainText: 'https://help.example.com/it/sesame?from=id#contact' });
    expect(supportOf('HTTPS://Help.Example.com')).toEqual({ href: 'https://help.example.com/', label: 'help.example.com', plainText: 'https://help.example.com/' });
    // http:// only where ISSUER may use it.
    expect(supportOf('http://localhost:8080/help')).toEqual({ href: 'http://localhost:8080/help', label: 'localhost:8080/help', plainText: 'http://localhost:8080/help' });
    expect(supportOf('http://127.0.0.1/help')?.href).toBe('http://127.0.0.1/help');
  });

  it('unset or empty (docker-compose passes it through empty), shows no contact', () => {
    expect(loadConfig({ env: {}, rootDir: root }).support).toBeUndefined();
    expect(supportOf('')).toBeUndefined();
  });

  it.each([
    ['javascript:alert(1)', /or an https:\/\/ URL/],
    ['JavaScript:alert(1)//it-help@example.com', /plain email address/],
    ['data:text/html,<script>alert(1)</script>', /angle brackets/],
    ['data:text/html;base64,PHNjcmlwdD4=', /or an https:\/\/ URL/],
    ['/help', /or an https:\/\/ URL/],
    ['//help.example.com/it', /or an https:\/\/ URL/],
    ['help.example.com', /or an https:\/\/ URL/],
    ['ftp://files.example.com/help', /or an https:\/\/ URL/],
    ['http://help.example.com/it', /must be https:\/\/ \(http:\/\/ only for localhost or 127\.0\.0\.1\)/],
    ['https://admin:secret@help.example.com/', /user name or password/],
    ['https://', /absolute https:\/\/ URL/],
    ['it help@example.com', /spaces, quotes/],
    [' it-help@example.com', /spaces, quotes/],
    ['https://help.example.com/\tit', /spaces, quotes/],
    ['it-help@example.com\n', /spaces, quotes/],
    ['"it-help"@example.com', /spaces, quotes/],
    ["https://help.example.com/it'onmouseover=alert(1)", /spaces, quotes/],
    ['https://help.example.com/"><script>', /spaces, quotes/],
    ['it-help@example', /plain email address/],
    ['mailto:it-help@example.com?subject=hi', /plain email address/],
    ['it-help@example.com,boss@example.com', /plain email address/],
    [`https://help.example.com/${'a'.repeat(200)}`, /must be at most 200 characters \(got 225\)/],
  ])('refuses %j, naming SUPPORT_CONTACT', (value, reason) => {
    const problems = problemsOf({ SUPPORT_CONTACT: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^SUPPORT_CONTACT: /);
    expect(problems[0]).toMatch(reason);
  });

  it('a contact built in code is held to the same rule', () => {
    const unsafe = { href: 'javascript:alert(1)', label: 'it-help@example.com', plainText: 'it-help@example.com' };
    expect(() => testConfig({ issuer: 'http://localhost:3000', support: unsafe })).toThrow(/SUPPORT_CONTACT: must link to mailto: an address or an https:\/\/ URL/);
    expect(testConfig({ issuer: 'http://localhost:3000', support: { href: 'mailto:it-help@example.com', label: 'it-help@example.com', plainText: 'it-help@example.com' } }).support?.href).toBe('mailto:it-help@example.com');
  });
});

describe('production refuses every development fallback', () => {
  it('starts with a complete production configuration', () => {
    const config = loadConfig({ env: productionEnv(), rootDir: root });
    expect(config).toMatchObject({ nodeEnv: 'production', devTools: false, issuer: 'https://id.example.com' });
    expect(existsSync(join(root, '.sesame'))).toBe(false);
  });

  it('names each missing setting', () => {
    const text = problemsOf({ NODE_ENV: 'production', ISSUER: 'https://id.example.com' }).join('\n');
    expect(text).toContain('JWKS_FILE: must be set in production without Redis');
    expect(text).toContain('COOKIE_KEYS: must be set');
    expect(text).toContain('HMAC_KEY: must be set');
    expect(text).toContain('ENCRYPTION_KEYS: must be set');
    expect(existsSync(join(root, '.sesame'))).toBe(false);
  });

  it('refuses every secret left at its public example value, naming the variable', () => {
    const secretsWithExamples = ENV_VARS.filter((v) => v.secret && v.example);
    expect(secretsWithExamples.map((v) => v.name)).toEqual(expect.arrayContaining(['COOKIE_KEYS', 'HMAC_KEY']));
    for (const { name, example } of secretsWithExamples) {
      const text = problemsOf({ ...productionEnv(), [name]: example! }).join('\n');
      expect([name, text]).toEqual([name, expect.stringContaining(`${name}: is the example value from .env.example`)]);
    }
    // Also as one entry of a list, next to a good key.
    expect(problemsOf({ ...productionEnv(), COOKIE_KEYS: `${secret()},change-me-to-32-or-more-random-characters` }).join('\n')).toMatch(/^COOKIE_KEYS: is the example value/m);
  });

  it('refuses the shipped example apps\' public client secrets behind a public issuer, not on a loopback one (docker-compose up)', () => {
    const shipped = join(root, 'config/clients.json');
    const text = problemsOf({ ...productionEnv(), CLIENTS_FILE: shipped }).join('\n');
    expect(text).toMatch(/^CLIENTS_FILE\[0\]\.client_secret: is the secret of a shipped example registration/m);
    expect(loadConfig({ env: { ...productionEnv(), CLIENTS_FILE: shipped, ISSUER: 'http://localhost:3000', TRUST_PROXY: 'false' }, rootDir: root }).clients.length).toBeGreaterThan(0);
    // The list the check uses is the shipped file's secrets.
    const secrets = (JSON.parse(readFileSync('config/clients.json', 'utf8')) as { client_secret?: string }[]).flatMap((client) => client.client_secret ?? []);
    expect(new Set(secrets)).toEqual(SHIPPED_EXAMPLE_CLIENT_SECRETS);
  });

  it('refuses one secret used for two purposes', () => {
    const shared = secret();
    expect(problemsOf({ ...productionEnv(), COOKIE_KEYS: shared, HMAC_KEY: shared }).join('\n')).toContain('HMAC_KEY: must differ from every COOKIE_KEYS entry');
  });

  it('never signs with a development key left in .sesame/ by an earlier npm start in the same checkout', () => {
    mkdirSync(join(root, '.sesame'), { recursive: true });
    writeFileSync(join(root, '.sesame/jwks.json'), JSON.stringify(generateSigningKeys()));
    try {
      // With Redis and no JWKS_FILE: the key set in Redis (checked at start-up), not the file.
      expect(loadConfig({ env: { ...productionEnv(), JWKS_FILE: '' }, rootDir: root }).jwks).toEqual({ keys: [] });
      // Without Redis there is nothing else: refused, naming the setting, whatever .sesame/ holds.
      expect(problemsOf({ ...productionEnv(), JWKS_FILE: '', REDIS_URL: '' }).join('\n')).toMatch(/^JWKS_FILE: must be set in production without Redis/m);
      // Development still uses (and makes) it.
      expect(loadConfig({ env: { NODE_ENV: 'development' }, rootDir: root }).jwks.keys.length).toBeGreaterThan(0);
    } finally {
      rmSync(join(root, '.sesame'), { recursive: true, force: true });
    }
  });

  it.each([
    ['an http issuer that is not localhost', { ISSUER: 'http://id.example.com' }, 'ISSUER: must be https:// in production'],
    ['an https issuer that no TLS proxy is trusted to vouch for', { TRUST_PROXY: 'false' }, 'TRUST_PROXY: must be true with an https ISSUER'],
    ['the in-memory store', { REDIS_URL: '' }, 'REDIS_URL: must be set in production'],
    ['the dev outbox', { SMTP_URL: '' }, 'SMTP_URL: must be set in production'],
    ['a short cookie key', { COOKIE_KEYS: 'abc' }, 'COOKIE_KEYS: key 1 must be at least 32 characters'],
    ['a short HMAC key', { HMAC_KEY: 'abc' }, 'HMAC_KEY: must be at least 32 characters'],
    ['an encryption key shorter than 32 bytes', { ENCRYPTION_KEYS: `k1:${randomBytes(16).toString('base64url')}` }, 'ENCRYPTION_KEYS: key k1 must decode to 32 bytes (got 16)'],
    ['an encryption key without an id', { ENCRYPTION_KEYS: secret() }, 'ENCRYPTION_KEYS: entry 1 has no key id'],
    ['an APP_NAME with a colon', { APP_NAME: 'Acme: ID' }, 'APP_NAME: must be 1-64 characters without ":"'],
    ['a signing key set without RSA', {}, 'JWKS_FILE: must include an RSA key'],
  ])('refuses %s', (_label, override, message) => {
    const env: Record<string, string> = { ...productionEnv(), ...override };
    if (message.startsWith('JWKS_FILE')) {
      writeFileSync(join(root, 'ec-only.json'), JSON.stringify({ keys: generateSigningKeys().keys.filter((k) => k.kty !== 'RSA') }));
      env.JWKS_FILE = join(root, 'ec-only.json');
    }
    expect(problemsOf(env).join('\n')).toContain(message);
  });
});

describe('the clients file read again (a reload on SIGHUP)', () => {
  const clientProblemsOf = (env: Record<string, string>, config: Parameters<typeof loadClients>[0]['config']): string[] => {
    try {
      loadClients({ env, rootDir: root, config });
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    throw new Error('expected a ConfigError');
  };

  it('makes start-up\'s checks of it, in start-up\'s words, and only those', () => {
    const env = productionEnv();
    const config = loadConfig({ env, rootDir: root });
    expect(loadClients({ env, rootDir: root, config })).toEqual(config.clients);
    const file = join(root, 'reloaded-clients.json');
    const withFile = { ...env, CLIENTS_FILE: file };
    for (const text of ['[{"client_id": ', JSON.stringify([{ client_id: 'a', redirect_uris: ['https://a.example/cb'], client_secret: 'short' }, { client_id: 'a', redirect_uris: [] }]), JSON.stringify(JSON.parse(readFileSync('config/clients.json', 'utf8'))), '{}']) {
      writeFileSync(file, text);
      const atStartUp = problemsOf(withFile);
      expect(atStartUp.length).toBeGreaterThan(0);
      expect(clientProblemsOf(withFile, config)).toEqual(atStartUp);
    }
    rmSync(file);
    expect(clientProblemsOf(withFile, config)).toEqual([`CLIENTS_FILE: file not found or unreadable: ${file}`]);
    // The shipped examples' secrets are refused only where start-up refuses them.
    writeFileSync(file, readFileSync('config/clients.json', 'utf8'));
    expect(loadClients({ env: withFile, rootDir: root, config: { nodeEnv: 'production', issuer: 'http://localhost:3000' } }).length).toBeGreaterThan(0);
  });
});

describe('the configuration contract stays documented', () => {
  it('load-config reads exactly the variables in env-vars.ts', () => {
    const read = new Set<string>();
    const env = new Proxy({} as Record<string, string | undefined>, {
      get(_target, name) {
        if (typeof name === 'string') read.add(name);
        return undefined;
      },
    });
    loadConfig({ env, rootDir: root });
    expect([...read].sort()).toEqual(ENV_VARS.map((v) => v.name).sort());
  });

  it('every documented default is the value Sesame really uses', () => {
    const implicit = loadConfig({ env: {}, rootDir: root });
    for (const v of ENV_VARS.filter((e) => e.defaultValue !== undefined)) {
      expect([v.name, loadConfig({ env: { [v.name]: v.defaultValue! }, rootDir: root })]).toEqual([v.name, implicit]);
    }
  });

  it('.env.example and the README table are rendered from env-vars.ts (npm run docs:env)', () => {
    expect(readFileSync('.env.example', 'utf8')).toBe(renderEnvExample(ENV_VARS));
    expect(readFileSync('README.md', 'utf8')).toContain(renderReadmeTable(ENV_VARS));
  });
});
