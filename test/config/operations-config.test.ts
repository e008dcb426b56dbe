import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load-config.ts';
import { makeShippedConfigDir, productionEnvironment } from '../helpers/shipped-config-dir.ts';

// Configuration of the operations side: how Redis is reached (URL, Cluster, Sentinel), the mail
// worker flag, /metrics access and the secret that seals signing keys in Redis.

let root: string;
const secret = () => randomBytes(32).toString('base64url');

beforeEach(() => {
  root = makeShippedConfigDir('ops-config');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const production = (overrides: Record<string, string | undefined> = {}) => productionEnvironment(root, overrides);

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig({ env, rootDir: root });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('reaching Redis', () => {
  it('reads Cluster seed nodes, IPv6 included, with credentials of their own', () => {
    const config = loadConfig({ env: production({ REDIS_URL: undefined, REDIS_CLUSTER_NODES: 'redis-1:7000, redis-2:7001,[::1]:7002', REDIS_USERNAME: 'sesame', REDIS_PASSWORD: 'pw' }), rootDir: root });
    expect(config.redis).toMatchObject({
      url: undefined,
      clusterNodes: [{ host: 'redis-1', port: 7000 }, { host: 'redis-2', port: 7001 }, { host: '::1', port: 7002 }],
      username: 'sesame',
      password: 'pw',
    });
  });

  it('reads Sentinels and the master name', () => {
    const config = loadConfig({ env: production({ REDIS_URL: undefined, REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'mymaster' }), rootDir: root });
    expect(config.redis).toMatchObject({ sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }], sentinelName: 'mymaster' });
  });

  it.each([
    ['two ways at once', { REDIS_CLUSTER_NODES: 'r:7000' }, 'REDIS_CLUSTER_NODES: cannot be combined with REDIS_URL'],
    ['a node without a port', { REDIS_URL: undefined, REDIS_CLUSTER_NODES: 'redis-1' }, 'REDIS_CLUSTER_NODES: "redis-1" is not a host:port'],
    ['a port out of range', { REDIS_URL: undefined, REDIS_CLUSTER_NODES: 'redis-1:70000' }, 'REDIS_CLUSTER_NODES: "redis-1:70000" is not a host:port'],
    ['Sentinels without a master name', { REDIS_URL: undefined, REDIS_SENTINELS: 's1:26379' }, 'REDIS_SENTINEL_NAME: must be set with REDIS_SENTINELS'],
    ['a master name without Sentinels', { REDIS_SENTINEL_NAME: 'mymaster' }, 'REDIS_SENTINEL_NAME: is only used with REDIS_SENTINELS'],
    ['a password beside REDIS_URL', { REDIS_PASSWORD: 'pw' }, 'REDIS_PASSWORD: is for REDIS_CLUSTER_NODES and REDIS_SENTINELS'],
    ['braces in the key prefix', { REDIS_KEY_PREFIX: '{sesame}:' }, 'REDIS_KEY_PREFIX: must not contain { or }'],
    ['no Redis at all in production', { REDIS_URL: undefined }, 'REDIS_URL: must be set in production (or REDIS_CLUSTER_NODES, or REDIS_SENTINELS)'],
  ])('refuses %s', (_label, overrides, message) => {
    expect(problemsOf(production(overrides))).toContain(message);
  });
});

describe('the mail worker flag', () => {
  it('is on by default and can be turned off with Redis', () => {
    expect(loadConfig({ env: production(), rootDir: root }).mailQueue.worker).toBe('on');
    expect(loadConfig({ env: production({ MAIL_WORKER: 'off' }), rootDir: root }).mailQueue).toMatchObject({ worker: 'off', attempts: 10, backoffMs: 1000 });
  });

  it('cannot be off without Redis: nothing else could send the mail', () => {
    expect(problemsOf({ MAIL_WORKER: 'off' })).toContain('MAIL_WORKER: off needs Redis');
    expect(problemsOf(production({ MAIL_WORKER: 'sometimes' }))).toContain('MAIL_WORKER: must be on or off (got "sometimes")');
  });
});

describe('secrets of the operations side', () => {
  it('needs a METRICS_TOKEN of 32+ characters when one is set', () => {
    expect(problemsOf(production({ METRICS_TOKEN: 'guessable' }))).toContain('METRICS_TOKEN: must be at least 32 characters');
    const token = secret();
    expect(loadConfig({ env: production({ METRICS_TOKEN: token }), rootDir: root }).metrics.token).toBe(token);
  });

  it('lets production with Redis start without JWKS_FILE (the key set lives in Redis), but not a JWKS_FILE that is missing', () => {
    const config = loadConfig({ env: production({ JWKS_FILE: undefined }), rootDir: root });
    expect(config.jwks.keys).toEqual([]);
    expect(problemsOf(production({ JWKS_FILE: join(root, 'nope.json') }))).toContain('JWKS_FILE: file not found');
    expect(problemsOf(production({ JWKS_FILE: undefined, REDIS_URL: undefined }))).toContain('JWKS_FILE: must be set in production without Redis (with Redis, the key set lives there: npm run cli -- keys init)');
  });

  it('.env.example copied as it is sets nothing: NODE_ENV left out is refused with a public https ISSUER, where a written-out development would pass for a choice', () => {
    const lines = readFileSync('.env.example', 'utf8').split('\n');
    expect(lines.filter((line) => /^\s*[A-Z_]+\s*=/.test(line))).toEqual([]);
    expect(lines).toContain('# NODE_ENV=development');
    expect(problemsOf({ ISSUER: 'https://id.example.com', TRUST_PROXY: 'true' })).toContain('NODE_ENV: unset, with the public ISSUER');
    expect(() => loadConfig({ env: production({ JWKS_FILE: undefined }), rootDir: root })).not.toThrow();
  });
});
