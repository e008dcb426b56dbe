import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { createHttpServer } from '../../src/http/http-server.ts';
import { createLogger } from '../../src/logger.ts';
import { createSesame, type Sesame } from '../../src/sesame.ts';
import { createRedisClient } from '../../src/store/redis-connection.ts';
import { deleteSesameKeys, startRedis, uniquePrefix, type StartedRedis } from '../helpers/redis.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { testConfig } from '../helpers/test-config.ts';

let redis: StartedRedis;
let smtp: SmtpSink;
let worker: Sesame;
let url: string;
const server = createHttpServer();
const prefix = uniquePrefix('worker-ops');
let logged = '';

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtpSink();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = testConfig({ issuer: url, redis: { url: redis.url, keyPrefix: prefix }, mail: { smtpUrl: smtp.url, from: 'Sesame <no-reply@sesame.test>' } });
  const destination = new Writable({ write: (chunk, _encoding, done) => ((logged += chunk), done()) });
  worker = await createSesame({ config, logger: createLogger({ level: 'info', destination }), role: 'worker' });
  server.on('request', worker.handler);
  server.on('clientError', worker.answerClientError);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await worker?.close();
  const admin = createRedisClient({ url: redis.url, keyPrefix: prefix }, { policy: 'fail-fast', connectionName: 'test:cleanup' });
  await admin.connect();
  await deleteSesameKeys(admin, prefix);
  admin.disconnect();
  await smtp?.stop();
  await redis?.stop();
});

/** A raw request, so that any method and any path goes out as written. */
function send(method: string, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const DATA_HEADERS = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

describe('the mail worker process\'s port (/healthz, /readyz, /metrics)', () => {
  it('sends the security headers for data on every answer, probes and errors alike', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/nothing-here']) {
      expect((await send('GET', path)).headers).toMatchObject(DATA_HEADERS);
    }
  });

  it('answers another method on a probe with 405 and Allow, and an unknown path with 404, as JSON', async () => {
    for (const method of ['POST', 'DELETE', 'PROPFIND']) {
      const answer = await send(method, '/healthz');
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toContain('GET');
      expect(JSON.parse(answer.body)).toMatchObject({ error: 'method_not_allowed' });
    }
    const missing = await send('GET', '/nothing-here');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ error: 'not_found' });
  });

  it('answers a request that throws with a JSON 500 and a request id, never the stack', async () => {
    const render = worker.metrics.render;
    worker.metrics.render = async () => {
      throw new Error('registry exploded at /srv/secret/path.ts');
    };
    try {
      const answer = await send('GET', '/metrics');
      expect(answer.status).toBe(500);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      const body = JSON.parse(answer.body) as Record<string, string>;
      expect(body).toMatchObject({ error: 'server_error', request_id: answer.headers['x-request-id'] });
      expect(answer.body).not.toContain('exploded');
      expect(answer.body).not.toMatch(/\n\s+at /);
      expect(answer.headers).toMatchObject(DATA_HEADERS);
      // The detail is in the log, with the request id, for the operator.
      expect(logged).toContain('registry exploded');
    } finally {
      worker.metrics.render = render;
    }
  });
});
