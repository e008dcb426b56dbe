import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnNode } from '../helpers/node-process.ts';
import { freePort } from '../helpers/redis.ts';
import { makeShippedConfigDir } from '../helpers/shipped-config-dir.ts';

// `NODE_ENV=production npm start` with development leftovers: src/main.ts as its own process.
let dir: string;

beforeAll(() => {
  dir = makeShippedConfigDir('prod');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function startMain(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawnNode('src/main.ts', [], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

describe('NODE_ENV=production refuses to start on development fallbacks', () => {
  it('exits 1 before listening and names every setting to fix', async () => {
    const port = await freePort();
    const { code, output } = await startMain({
      NODE_ENV: 'production',
      PORT: String(port),
      ISSUER: 'http://id.example.com',
      COOKIE_KEYS: 'change-me-to-32-or-more-random-characters',
      HMAC_KEY: 'short',
    });
    expect(code).toBe(1);
    for (const setting of ['ISSUER: must be https://', 'REDIS_URL: must be set in production', 'SMTP_URL: must be set in production', 'COOKIE_KEYS: is the example value', 'HMAC_KEY: must be at least 32', 'JWKS_FILE: must be set in production without Redis']) {
      expect(output).toContain(setting);
    }
    expect(output).not.toContain('Sesame is listening');
    expect(existsSync(join(dir, '.sesame'))).toBe(false);
  });
});
