import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { demoClient } from '../../src/dev/demo-client.ts';
import { decodeEntities, HttpBrowser } from '../helpers/http-browser.ts';
import { spawnNode } from '../helpers/node-process.ts';
import { freePort, stopChild } from '../helpers/redis.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { signInWithCode } from '../helpers/sign-in.ts';
import { readSignInMail, type Mailbox, type ReceivedMail } from '../helpers/smtp-sink.ts';
import { makeShippedConfigDir } from '../helpers/shipped-config-dir.ts';

// `npm start` on a fresh checkout: no Redis, no SMTP, no keys. This runs src/main.ts as its own
// process in an empty working directory, exactly as the README's start command does.

let dir: string;
let child: ChildProcess;
let issuer: string;
let output = '';

beforeAll(async () => {
  dir = makeShippedConfigDir('start');
  const port = await freePort();
  issuer = `http://localhost:${port}`;
  child = spawnNode('src/main.ts', [], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 15_000;
  while (!output.includes('Sesame is listening')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`Sesame did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
});

afterAll(async () => {
  if (child) await stopChild(child);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Reads sign-in mail from the dev outbox, the way a newcomer would from /dev/outbox. */
function devOutbox(): Mailbox {
  const seen = new Set<string>();
  return {
    async waitForMail(to, { match = () => true } = {}) {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const messages = (await (await fetch(`${issuer}/dev/outbox.json`)).json()) as { id: string; to: string; subject: string; text: string; html: string; sentAt: number }[];
        const received = messages
          .filter((m) => m.to === to && !seen.has(m.id))
          .map((m) => ({ id: m.id, mail: { to: m.to, subject: m.subject, text: m.text, html: m.html, receivedAt: m.sentAt, ...readSignInMail(m.text) } satisfies ReceivedMail }))
          .find(({ mail }) => match(mail));
        if (received) {
          seen.add(received.id);
          return received.mail;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no mail to ${to} in the dev outbox`);
    },
  };
}

describe('npm start with nothing configured', () => {
  it('warns about each development fallback and generates keys into .sesame/', () => {
    expect(output).toMatch(/in-memory store/);
    expect(output).toMatch(/dev outbox/);
    expect(existsSync(join(dir, '.sesame/jwks.json'))).toBe(true);
    expect(existsSync(join(dir, '.sesame/secrets.json'))).toBe(true);
  });

  it('signs a newcomer in through the demo client with the code from the dev outbox', async () => {
    const outbox = devOutbox();
    const rp = await startRelyingParty(issuer, demoClient(issuer));
    const browser = new HttpBrowser();
    browser.stopAt.push(rp.redirectUri);
    const { tokens, mail } = await signInWithCode({ rp, smtp: outbox, browser }, 'newcomer@example.com');
    expect(tokens.claims()).toMatchObject({ iss: issuer, aud: 'sesame-demo', email: 'newcomer@example.com', email_verified: true });

    const page = await (await fetch(`${issuer}/dev/outbox`)).text();
    expect(decodeEntities(page)).toContain(`href="${mail.link}"`);
    expect(page).toContain('newcomer@example.com');

    // The account page on the in-memory store, by single sign-on, lists this browser.
    const account = await browser.navigate(`${issuer}/account`);
    expect(account.url).toBe(`${issuer}/account`);
    expect(account.html).toContain('Where you are signed in');
    expect(account.html).toMatch(/Chrome on Linux <strong>\(this browser\)<\/strong>/);
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toMatch(/shutting down/);
  });
});
