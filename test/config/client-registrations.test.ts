import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { ConfigError } from '../../src/config/config-schema.ts';
import { startRedis, type StartedRedis } from '../helpers/redis.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame } from '../helpers/start-sesame.ts';
import { TEST_CLIENT } from '../helpers/test-config.ts';

let redis: StartedRedis;
let smtp: SmtpSink;

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtpSink();
});

afterAll(async () => {
  await smtp?.stop();
  await redis?.stop();
});

it('a registration oidc-provider rejects stops start-up, naming the entry and the reason', async () => {
  const broken = { ...TEST_CLIENT, client_id: 'broken-app', scope: '', redirect_uris: ['http://127.0.0.1:9/cb'] };
  const failure = await startSesame({ redisUrl: redis.url, smtpUrl: smtp.url, config: { clients: [TEST_CLIENT, broken] } }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(ConfigError);
  expect((failure as ConfigError).problems).toEqual(['CLIENTS_FILE[1] (broken-app): scope must be a non-empty string if provided']);
});
