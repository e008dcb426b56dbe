import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { ENV_VAR_NAMES } from '../../src/config/env-vars.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { makeShippedConfigDir } from '../helpers/shipped-config-dir.ts';

// docker-compose.yml and the Dockerfile, checked without a Docker engine: Debian's docker-compose
// validates and renders the file, and the rendered environment must pass Sesame's own validation.

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  profiles?: string[];
}

let dir: string;
const secrets = { COOKIE_KEYS: 'c'.repeat(43), HMAC_KEY: 'h'.repeat(43), ENCRYPTION_KEYS: `k1:${'e'.repeat(43)}` };

function dockerCompose(args: string[], env: Record<string, string>) {
  const envFile = join(dir, `${Object.keys(env).length}.env`);
  writeFileSync(envFile, Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n'));
  const result = spawnSync('docker-compose', ['--env-file', envFile, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('docker-compose is not installed: apt-get install docker-compose (.ci/run does this). It validates docker-compose.yml without a Docker engine.');
  }
  return result;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sesame-compose-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docker-compose.yml', () => {
  let services: Record<string, ComposeService>;

  beforeAll(() => {
    const rendered = dockerCompose(['--profile', 'worker', 'config'], secrets);
    expect(rendered.stderr).toBe('');
    expect(rendered.status).toBe(0);
    services = (load(rendered.stdout) as { services: Record<string, ComposeService> }).services;
  });

  it('validates, and refuses to render without the secrets, saying which one to set', () => {
    const missing = dockerCompose(['config', '-q'], {});
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('set COOKIE_KEYS in .env');
  });

  it('runs Sesame, Redis with AOF persistence and Mailpit, each with a health check', () => {
    expect(Object.keys(services).sort()).toEqual(['keys', 'mailpit', 'redis', 'sesame', 'worker']);
    for (const name of ['sesame', 'redis', 'mailpit', 'worker']) expect(services[name]!.healthcheck?.test?.[0]).toBe('CMD');
    expect(services.sesame!.healthcheck!.test.join(' ')).toContain('/readyz');
    expect(services.redis!.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect(services.worker!.profiles).toEqual(['worker']);
    expect(services.worker!.command).toEqual(expect.arrayContaining(['src/main.ts', 'worker']));
  });

  it('starts Sesame only once Redis and Mailpit are healthy and the signing keys exist', () => {
    expect(services.sesame!.depends_on).toEqual({
      redis: { condition: 'service_healthy' },
      mailpit: { condition: 'service_healthy' },
      keys: { condition: 'service_completed_successfully' },
    });
    expect(services.keys!.command).toEqual(expect.arrayContaining(['src/cli/main.ts', 'keys', 'init', '--if-missing']));
  });

  it('is wired through the configuration contract: every variable is documented, and the result passes validation in production', () => {
    // What the compose file decides itself; every other setting is passed through from .env.
    const decidedHere = ['NODE_ENV', 'PORT', 'REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS', 'REDIS_SENTINEL_NAME', 'REDIS_USERNAME', 'REDIS_PASSWORD', 'REDIS_ALLOW_EVICTION', 'JWKS_FILE'];
    for (const name of ['sesame', 'keys', 'worker']) {
      const environment = services[name]!.environment!;
      for (const variable of Object.keys(environment)) expect([name, variable, ENV_VAR_NAMES.has(variable)]).toEqual([name, variable, true]);
      expect([name, [...ENV_VAR_NAMES].filter((variable) => !(variable in environment) && !decidedHere.includes(variable))]).toEqual([name, []]);
      // An image's working directory: the config files and nothing else (no development .sesame/).
      const rootDir = makeShippedConfigDir('compose-root');
      const config = loadConfig({ env: environment, rootDir });
      rmSync(rootDir, { recursive: true, force: true });
      expect(config).toMatchObject({ nodeEnv: 'production', redis: { url: 'redis://redis:6379' }, mail: { smtpUrl: 'smtp://mailpit:1025' } });
      // No JWKS_FILE: the key set lives in Redis, created by the keys service.
      expect(config.jwks.keys).toEqual([]);
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  it('builds in two stages on Node 24 with production dependencies only, and runs as a non-root user', () => {
    expect(dockerfile.match(/^FROM node:24-/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev /m);
    expect(dockerfile).toMatch(/^COPY --from=deps /m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*\/readyz/m);
    expect(dockerfile).toMatch(/^CMD \["node", .*"src\/main\.ts"\]$/m);
  });
});
