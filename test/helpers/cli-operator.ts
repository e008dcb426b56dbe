import { afterAll, beforeAll } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKeys } from '../../src/config/signing-keys.ts';
import { startRedis, uniquePrefix, type StartedRedis } from './redis.ts';
import { runCli, type CliResult } from './run-cli.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';
import { startSesame, type RunningSesame } from './start-sesame.ts';
import { TEST_CLIENT, TEST_ENCRYPTION_KEYS, testConfig } from './test-config.ts';

export interface CliOperator {
  readonly sesame: RunningSesame;
  readonly smtp: SmtpSink;
  /** The operator's configuration directory, shared by the CLI and the server it manages. */
  readonly dir: string;
  /** The CLI's environment: the servers' Redis, key prefix, secrets and issuer. */
  readonly env: Record<string, string>;
  /** The CLI in the operator's directory, on the same Redis; `extraEnv` undefined removes a variable. */
  cli(args: string[], extraEnv?: Record<string, string | undefined>): Promise<CliResult>;
}

/**
 * An operator's set-up for the CLI tests, made before the file's tests and taken down after: a
 * Redis of its own, a running Sesame (SIGNUP=closed) and the CLI sharing its Redis, key prefix,
 * HMAC key, encryption keys, clients file and issuer, as an operator's CLI and servers do. Codes
 * lock after `lockAfter` consecutive wrong ones.
 */
export function useCliOperator({ lockAfter }: { lockAfter: number }): CliOperator {
  let redis: StartedRedis | undefined;
  let smtp: SmtpSink | undefined;
  let sesame: RunningSesame | undefined;
  let dir: string | undefined;
  let env: Record<string, string> = {};
  const prefix = uniquePrefix('cli');

  beforeAll(async () => {
    redis = await startRedis();
    smtp = await startSmtpSink();
    dir = mkdtempSync(join(tmpdir(), 'sesame-cli-'));
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify(generateSigningKeys()));
    mkdirSync(join(dir, 'config'));
    const defaults = JSON.parse(readFileSync('config/default.json', 'utf8'));
    writeFileSync(join(dir, 'config/default.json'), JSON.stringify({ ...defaults, signInCode: { ...defaults.signInCode, maxConsecutiveFailures: lockAfter } }));
    // The servers' apps (testConfig's), as an operator's CLI and servers share one clients file.
    writeFileSync(join(dir, 'config/clients.json'), JSON.stringify([...JSON.parse(readFileSync('config/clients.json', 'utf8')), TEST_CLIENT]));
    env = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      COOKIE_KEYS: randomBytes(32).toString('base64url'),
      HMAC_KEY: randomBytes(32).toString('base64url'),
      // The servers' own (testConfig's): the CLI opens the shared signing keys with them to sign logout tokens.
      ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
      JWKS_FILE: join(dir, 'jwks.json'),
    };
    sesame = await startSesame({
      redisUrl: redis.url,
      smtpUrl: smtp.url,
      keyPrefix: prefix,
      config: { signup: 'closed', hmacKey: env.HMAC_KEY!, signInCode: { ...testConfig({ issuer: 'http://unused' }).signInCode, maxConsecutiveFailures: lockAfter } },
    });
    // The servers' public address: the CLI's notices and logout tokens carry it.
    env.ISSUER = sesame.config.issuer;
  });

  afterAll(async () => {
    await sesame?.close();
    await smtp?.stop();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  return {
    get sesame() {
      return sesame!;
    },
    get smtp() {
      return smtp!;
    },
    get dir() {
      return dir!;
    },
    get env() {
      return env;
    },
    cli(args, extraEnv = {}) {
      return runCli(args, { cwd: dir, env: Object.fromEntries(Object.entries({ ...env, ...extraEnv }).filter(([, v]) => v !== undefined)) as Record<string, string> });
    },
  };
}
