import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import * as client from 'openid-client';
import { metricsAccessFor } from '../../src/app.ts';
import { createLogger } from '../../src/logger.ts';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { requestSignInMail, signInWithCode, signInWithLink } from '../helpers/sign-in.ts';
import { startSesame } from '../helpers/start-sesame.ts';
import { SERVER_APP_CLIENT, TEST_CLIENT, testConfig } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef0123456789';
const logLines: Record<string, unknown>[] = [];
let rawLog = '';
const destination = new Writable({
  write(chunk, _encoding, done) {
    rawLog += chunk;
    for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
    done();
  },
});
const running = useSesame({
  logger: createLogger({ level: 'info', destination }),
  config: {
    metrics: { token: METRICS_TOKEN },
    readinessMailCheckSeconds: 0,
    clients: [TEST_CLIENT, { ...SERVER_APP_CLIENT, client_id: 'notified-app', backchannel_logout_uri: 'http://127.0.0.1:9/logout' }],
  },
});

async function scrape(): Promise<string> {
  const response = await fetch(`${running.sesame.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of one sample, e.g. sample(text, 'sesame_mails_sent_total') or with labels '{method="code"}'. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('/healthz and /readyz', () => {
  it('/healthz answers while the process runs', async () => {
    const response = await fetch(`${running.sesame.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers another method on a probe with 405 and Allow, as the mail worker\'s port does', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const response = await fetch(`${running.sesame.url}${path}`, { method: 'POST' });
      expect([path, response.status, response.headers.get('allow')]).toEqual([path, 405, expect.stringContaining('GET')]);
    }
  });

  it('/readyz checks Redis and verifies the SMTP relay', async () => {
    const response = await fetch(`${running.sesame.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', checks: { store: 'up', mail: 'up' } });
  });

  it('/readyz reports a dead relay, and stays ready because the mail waits in Redis', async () => {
    await running.smtp.pause();
    try {
      const response = await fetch(`${running.sesame.url}/readyz`);
      expect(await response.json()).toEqual({ status: 'ready', checks: { store: 'up', mail: 'down' } });
      expect(response.status).toBe(200);
      expect(sample(await scrape(), 'sesame_mail_transport_up')).toBe(0);
    } finally {
      await running.smtp.resume();
    }
    expect(((await (await fetch(`${running.sesame.url}/readyz`)).json()) as { checks: { mail: string } }).checks.mail).toBe('up');
    expect(sample(await scrape(), 'sesame_mail_transport_up')).toBe(1);
  });
});

describe('sesame_mail_transport_up', () => {
  it('is checked at start, not "down" until the first probe, and absent where the process sends no mail', async () => {
    const scrapeOf = async (url: string) => (await fetch(`${url}/metrics`)).text();
    const sends = await startSesame({ redisUrl: running.redis.url, smtpUrl: running.smtp.url });
    const queuesOnly = await startSesame({ redisUrl: running.redis.url, smtpUrl: running.smtp.url, config: { mailQueue: { ...running.sesame.config.mailQueue, worker: 'off' } } });
    try {
      let text = await scrapeOf(sends.url);
      for (let tries = 0; tries < 50 && sample(text, 'sesame_mail_transport_up') !== 1; tries++) text = await new Promise((resolve) => setTimeout(() => resolve(scrapeOf(sends.url)), 20));
      expect(sample(text, 'sesame_mail_transport_up')).toBe(1);
      expect(await scrapeOf(queuesOnly.url)).not.toContain('sesame_mail_transport_up');
    } finally {
      await sends.close();
      await queuesOnly.close();
    }
  });
});

describe('/metrics', () => {
  it('needs the bearer token', async () => {
    expect((await fetch(`${running.sesame.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${running.sesame.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${running.sesame.url}/metrics`, { headers: { authorization: `Basic ${METRICS_TOKEN}` } })).status).toBe(401);
  });

  it('takes the scheme name in any case (RFC 9110 §11.1), still only with the right token', async () => {
    for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
      expect((await fetch(`${running.sesame.url}/metrics`, { headers: { authorization: `${scheme} ${METRICS_TOKEN}` } })).status).toBe(200);
      expect((await fetch(`${running.sesame.url}/metrics`, { headers: { authorization: `${scheme} wrong` } })).status).toBe(401);
    }
  });

  it('is open in development and test without a token, and off in production', () => {
    const base = testConfig({ issuer: 'http://127.0.0.1:1' });
    expect(metricsAccessFor(base)).toBe('open');
    expect(metricsAccessFor({ ...base, nodeEnv: 'production' })).toBe('off');
    expect(metricsAccessFor({ ...base, nodeEnv: 'production', metrics: { token: METRICS_TOKEN } })).toEqual({ token: METRICS_TOKEN });
  });

  it('counts sign-ins started and completed, mails queued and sent, and refused codes', async () => {
    const before = await scrape();
    // One wrong code, then the right one.
    const { uid, browser, origin, mail } = await requestSignInMail(running, 'metrics@example.com');
    const check = await browser.navigate(`${origin}/interaction/${uid}/check`);
    const wrong = mail.code === '000000' ? '111111' : '000000';
    await browser.navigate(`${origin}/interaction/${uid}/code`, { form: { ...formFields(check.html, '/code'), code: wrong } });
    const again = await browser.navigate(`${origin}/interaction/${uid}/check`);
    const done = await browser.navigate(`${origin}/interaction/${uid}/code`, { form: { ...formFields(again.html, '/code'), code: mail.code! } });
    expect(done.leftTo).toMatch(/callback\?code=/);
    await signInWithLink(running, 'metrics-link@example.com');
    const after = await scrape();

    const delta = (name: string, labels = '') => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('sesame_sign_ins_started_total')).toBe(2);
    expect(delta('sesame_sign_ins_completed_total', '{amr="email"}')).toBe(2);
    expect(delta('sesame_mails_queued_total')).toBe(2);
    expect(delta('sesame_mails_sent_total')).toBe(2);
    expect(delta('sesame_sign_in_code_failures_total', '{reason="wrong"}')).toBe(1);
    expect(after).toMatch(/^sesame_mails_failed_total 0$/m);
    expect(after).toMatch(/^process_resident_memory_bytes /m);
  });

  it('has its labelled counters from the start at 0, so that an alert sees the first increase after a restart', async () => {
    const text = await scrape();
    for (const line of ['sesame_lockouts_total{streak="sign-in"} 0', 'sesame_lockouts_total{streak="second-factor"} 0', 'sesame_backchannel_logouts_total{client_id="notified-app",result="failed"} 0', 'sesame_backchannel_logouts_total{client_id="notified-app",result="delivered"} 0']) {
      expect(text.split('\n')).toContain(line);
    }
    // Only apps that registered a back-channel address.
    expect(text).not.toContain(`client_id="${TEST_CLIENT.client_id}"`);
  });

  it('keeps HTTP latency per route template, never per raw path', async () => {
    await signInWithCode(running, 'histogram@example.com');
    await fetch(`${running.sesame.url}/no/such/page/${Math.random()}`);
    const text = await scrape();
    expect(sample(text, 'sesame_http_request_duration_seconds_count', '{method="POST",route="/interaction/:uid/email",status="303"}')).toBeGreaterThan(0);
    expect(sample(text, 'sesame_http_request_duration_seconds_count', '{method="POST",route="/token",status="200"}')).toBeGreaterThan(0);
    expect(sample(text, 'sesame_http_request_duration_seconds_count', '{method="GET",route="/auth",status="303"}')).toBeGreaterThan(0);
    expect(sample(text, 'sesame_http_request_duration_seconds_count', '{method="GET",route="unmatched",status="404"}')).toBeGreaterThan(0);
    const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]));
    for (const route of routes) expect(route).not.toMatch(/\/interaction\/[A-Za-z0-9_-]{10,}|\/no\/such/);
  });
});

describe('request logs', () => {
  it('writes one JSON line per request with id, method, path, route, status and duration', async () => {
    const response = await fetch(`${running.sesame.url}/healthz?probe=1`);
    const requestId = response.headers.get('x-request-id');
    const line = logLines.find((l) => l.msg === 'request' && l.requestId === requestId);
    expect(line).toMatchObject({ level: 30, service: 'sesame', method: 'GET', path: '/healthz', route: '/healthz', status: 200 });
    expect(typeof line!.durationMs).toBe('number');
  });

  it('says why an app\'s tokens stopped working: a refresh token used twice revoked the grant', async () => {
    const { tokens } = await signInWithCode({ ...running, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, 'reused-refresh@example.com');
    await client.refreshTokenGrant(running.rp.config, tokens.refresh_token!);
    await expect(client.refreshTokenGrant(running.rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const line = logLines.find((l) => l.msg === 'grant revoked: a code or refresh token was used twice');
    expect(line).toMatchObject({ level: 30, route: 'token', clientId: 'test-app' });
    expect(rawLog).not.toContain(tokens.refresh_token!);
  });

  it('never logs a link token, a code, a cookie or a query string', async () => {
    const browser = new HttpBrowser();
    const { mail } = await signInWithLink({ ...running, browser }, 'secret-free-logs@example.com');
    const linkToken = new URL(mail.link!).searchParams.get('t')!;
    const linkLine = logLines.find((l) => l.msg === 'request' && l.route === '/interaction/:uid/link' && l.method === 'GET');
    expect(linkLine).toBeDefined();
    expect(linkLine!.path).toMatch(/^\/interaction\/[^/?]+\/link$/);
    expect(rawLog).not.toContain(linkToken);
    // As a number of its own: timestamps are long digit runs that may contain any six digits.
    expect(rawLog).not.toMatch(new RegExp(`(?<!\\d)${mail.code}(?!\\d)`));
    expect(rawLog).not.toMatch(/_session=|_interaction=|authorization|\?t=|[?&]code=/i);
  });
});
