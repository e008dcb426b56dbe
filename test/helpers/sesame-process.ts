import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateSigningKeys } from '../../src/config/signing-keys.ts';
import { spawnNode } from './node-process.ts';
import { stopChild } from './redis.ts';
import { FIRST_PARTY_CLIENT, MACHINE_CLIENT, TEST_CLIENT } from './test-config.ts';

export interface SesameProcess {
  child: ChildProcess;
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited(): Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * A working directory for Sesame run as a real process (src/main.ts, as `npm start` and
 * `npm run worker` do): config/default.json with `defaults` merged in, the test clients, a JWKS file,
 * and an environment with fresh secrets.
 */
export function prepareSesameDir(defaults: Record<string, unknown> = {}): { dir: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'sesame-process-'));
  mkdirSync(join(dir, 'config'));
  const base = JSON.parse(readFileSync('config/default.json', 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'config/default.json'), JSON.stringify({ ...base, ...defaults }));
  writeFileSync(join(dir, 'config/clients.json'), JSON.stringify([TEST_CLIENT, FIRST_PARTY_CLIENT, MACHINE_CLIENT]));
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify(generateSigningKeys()));
  const secret = () => randomBytes(32).toString('base64url');
  return {
    dir,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      COOKIE_KEYS: secret(),
      HMAC_KEY: secret(),
      ENCRYPTION_KEYS: `k1:${secret()}`,
      JWKS_FILE: join(dir, 'jwks.json'),
      LOG_LEVEL: 'info',
    },
  };
}

/** Starts `node src/main.ts [role]` in `dir` and waits until it says it runs. */
export async function startSesameProcess({ dir, env, role }: { dir: string; env: Record<string, string>; role?: 'worker' }): Promise<SesameProcess> {
  const child = spawnNode('src/main.ts', role ? [role] : [], { cwd: dir, env });
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk;
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exit = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));

  const waitForOutput = (pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<void>((resolveWait, reject) => {
      const check = () => {
        if (!pattern.test(output)) return false;
        listeners.delete(check);
        clearTimeout(timer);
        resolveWait();
        return true;
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`no ${pattern} from Sesame within ${timeoutMs} ms; it said:\n${output}`));
      }, timeoutMs);
      void exit.then(() => {
        if (!check()) {
          listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`Sesame exited before ${pattern}; it said:\n${output}`));
        }
      });
      if (!check()) listeners.add(check);
    });

  await waitForOutput(/Sesame is listening|Sesame mail worker is running/);
  return { child, output: () => output, waitForOutput, exited: () => exit, stop: () => stopChild(child) };
}
