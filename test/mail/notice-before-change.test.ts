import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mailQueuePrefix } from '../../src/mail/mail-queue-keys.ts';
import { emailChangeCodeTo, enterEmailChangeCode, requestEmailChange } from '../helpers/email-change.ts';
import { formFields, type HttpBrowser, type Page } from '../helpers/http-browser.ts';
import { startRedisCluster, type StartedCluster } from '../helpers/redis-cluster.ts';
import { uniquePrefix } from '../helpers/redis.ts';
import { accountWithTotp, submitTotp, totpCode } from '../helpers/second-factor.ts';
import { signInWithCodeAt } from '../helpers/sign-in.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame, type RunningSesame } from '../helpers/start-sesame.ts';

// On a Redis Cluster a change to an account and the notice that tells its holder of it are in
// different slots, often on different nodes, and one node can fail while the other serves. Here the
// mail queue's slot has a node of its own (the cluster's last), which is stopped between the pages
// and the press that makes the change: the real outage of the one write, the other still served.

const prefix = uniquePrefix('notice-before-change');
let cluster: StartedCluster;
let smtp: SmtpSink;
let sesame: RunningSesame;
const MAIL_NODE = 1;

/** Runs `work` with the mail queue's node down, and starts it again after. */
async function withMailNodeDown<T>(work: () => Promise<T>): Promise<T> {
  await cluster.stopNode(MAIL_NODE);
  try {
    return await work();
  } finally {
    await cluster.startNode(MAIL_NODE);
  }
}

// Everything that needs mail is done first, while the cluster is whole: each test then stops the
// node for one press, and needs nothing from the queue after it.
const [mover, moved] = ['moving-in-outage@example.com', 'moved-in-outage@example.com'];
const remover = 'removing-in-outage@example.com';
let moving: { browser: HttpBrowser; confirmPage: Page; code: string };
let removing: { browser: HttpBrowser; removal: Page; accountId: string };

beforeAll(async () => {
  cluster = await startRedisCluster(2, { isolate: mailQueuePrefix(prefix) });
  smtp = await startSmtpSink();
  sesame = await startSesame({ redis: { url: undefined, clusterNodes: cluster.nodes }, keyPrefix: prefix, smtpUrl: smtp.url });

  const signedIn = await signInWithCodeAt({ smtp }, `${sesame.url}/account`, mover);
  const { page: confirmPage } = await requestEmailChange(sesame.url, signedIn.browser, moved);
  moving = { browser: signedIn.browser, confirmPage, code: (await emailChangeCodeTo(smtp, moved)).code! };

  const { account, secret } = await accountWithTotp(sesame, remover);
  const { browser, page: prompt } = await signInWithCodeAt({ smtp }, `${sesame.url}/account`, remover);
  // Signed in with both steps just now: removing asks only for confirmation.
  expect((await submitTotp(browser, prompt, { code: totpCode(secret) })).url).toBe(`${sesame.url}/account`);
  const removal = await browser.navigate(`${sesame.url}/account/totp/remove`);
  expect(removal.html).toContain('Remove your authenticator app?');
  removing = { browser, removal, accountId: account.id };
});

afterAll(async () => {
  await sesame?.close();
  await smtp?.stop();
  await cluster?.stop();
});

describe('a security notice and its change, when the mail queue cannot be written', () => {
  it('a change of address is not made: the page says to try again, and the account keeps its address', async () => {
    const answer = await withMailNodeDown(() => enterEmailChangeCode(sesame.url, moving.browser, moving.confirmPage, moving.code));
    expect(answer.status).toBe(503);
    expect(answer.html).toContain('try again');
    // Moved without its two notices, no one would ever be told: it must not have moved at all.
    expect(await sesame.accounts.findByEmail(mover)).toBeDefined();
    expect(await sesame.accounts.findByEmail(moved)).toBeUndefined();
  });

  it('an authenticator is not removed: the page says to try again, and the account keeps it', async () => {
    const { browser, removal, accountId } = removing;
    const answer = await withMailNodeDown(() => browser.request(`${sesame.url}/account/totp/remove`, { form: formFields(removal.html, '/account/totp/remove') }));
    expect(answer.status).toBe(503);
    expect((await sesame.accounts.findById(accountId))!.totp).toBeDefined();
  });

  // Last, so that Sesame is closed with its mail worker connected again: closed while the worker is
  // still reconnecting to the restarted node, BullMQ's close waits for a blocking read that never
  // ends, Sesame gives it up after 10 s, and the worker's lock timer outlives the test.
  it('once the node is back, mail flows again by itself', async () => {
    const { browser } = await signInWithCodeAt({ smtp }, `${sesame.url}/account`, 'after-the-outage@example.com');
    expect((await browser.navigate(`${sesame.url}/account`)).html).toContain('after-the-outage@example.com');
  });
});
