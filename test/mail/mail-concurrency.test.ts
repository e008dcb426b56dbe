import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { startRedis, type StartedRedis } from '../helpers/redis.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { startSesame, type RunningSesame } from '../helpers/start-sesame.ts';
import { testConfig } from '../helpers/test-config.ts';

const CONCURRENCY = 6;
const MAILS = 11;

/**
 * A relay that takes its time over each message (as a busy one does), so that mails sent at once
 * overlap there: it counts the connections and the messages in flight at the same moment.
 */
async function startSlowRelay(holdMs: number) {
  // Connections that carried mail (not, say, the readiness check's, which only says hello).
  const mailConnections = new Set<string>();
  let inFlight = 0;
  let mostInFlight = 0;
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onMailFrom(_address, session, callback) {
      mailConnections.add(session.id);
      callback();
    },
    onData(stream, _session, callback) {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      stream.resume();
      stream.on('end', () => {
        setTimeout(() => {
          inFlight--;
          received++;
          callback();
        }, holdMs);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    connections: () => mailConnections.size,
    mostInFlight: () => mostInFlight,
    received: () => received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let redis: StartedRedis;
let relay: Awaited<ReturnType<typeof startSlowRelay>>;
let sesame: RunningSesame;

beforeAll(async () => {
  redis = await startRedis();
  relay = await startSlowRelay(300);
  const { mailQueue } = testConfig({ issuer: 'http://127.0.0.1:1' });
  sesame = await startSesame({ redisUrl: redis.url, smtpUrl: relay.url, config: { mailQueue: { ...mailQueue, concurrency: CONCURRENCY } } });
});

afterAll(async () => {
  await sesame?.close();
  await relay?.close();
  await redis?.stop();
});

describe('the mail worker and its SMTP connections', () => {
  it(`sends mailQueue.concurrency mails at once, each on a connection of its own, and no more (${CONCURRENCY} here, more than the old fixed pool of 4)`, async () => {
    const rp = await startRelyingParty(sesame.url);
    // Several people ask for a sign-in mail at the same moment.
    await Promise.all(
      Array.from({ length: MAILS }, async (_, i) => {
        const browser = new HttpBrowser();
        const emailPage = await browser.navigate((await rp.startAuthorization()).url);
        const uid = emailPage.url.split('/').pop()!;
        const check = await browser.navigate(`${sesame.url}/interaction/${uid}/email`, { form: { ...formFields(emailPage.html, '/email'), email: `busy-${i}@example.com` } });
        expect(check.url).toBe(`${sesame.url}/interaction/${uid}/check`);
      }),
    );
    const deadline = Date.now() + 15_000;
    while (relay.received() < MAILS && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(relay.received()).toBe(MAILS);
    // As many at once as configured (the relay held each long enough for them to overlap)...
    expect(relay.mostInFlight()).toBe(CONCURRENCY);
    // ...over that many connections, reused for the mails after them.
    expect(relay.connections()).toBe(CONCURRENCY);
  });
});
