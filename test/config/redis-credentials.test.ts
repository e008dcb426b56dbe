import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { freePort, startRedis, type StartedRedis } from '../helpers/redis.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame } from '../helpers/start-sesame.ts';

// A Redis that is reached but refuses the credentials: the start fails saying so and naming the
// settings that carry them, not "cannot reach" (which sends an operator to the network), and
// never with the password. And one whose ACL refuses Sesame's user a command the store needs: the
// start fails naming it, where Sesame used to start, report ready and answer sign-ins with a 500.

let redis: StartedRedis;
let smtp: SmtpSink;
beforeAll(async () => {
  redis = await startRedis([], { port: await freePort() });
  // Set once it answers: the helper's start-up PING expects no password.
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  await admin.acl('SETUSER', 'no-scripts', 'on', '>pw', '~*', '&*', '+@all', '-eval', '-evalsha');
  await admin.acl('SETUSER', 'no-smembers', 'on', '>pw', '~*', '&*', '+@all', '-smembers');
  await admin.acl('SETUSER', 'no-getdel', 'on', '>pw', '~*', '&*', '+@all', '-getdel');
  await admin.config('SET', 'requirepass', 'the-right-password');
  admin.disconnect();
  smtp = await startSmtpSink();
});
afterAll(async () => {
  await smtp?.stop();
  await redis?.stop();
});

it.each([
  ['no password (NOAUTH)', `redis://127.0.0.1:PORT`],
  ['a wrong password (WRONGPASS)', `redis://:a-wrong-password@127.0.0.1:PORT`],
])('with %s, the start fails naming REDIS_URL as where the credentials go', async (_case, url) => {
  const start = startSesame({ redisUrl: url.replace('PORT', String(redis.port)), smtpUrl: smtp.url });
  await expect(start).rejects.toThrow(/^Redis at redis:\/\/(\*\*\*@)?127\.0\.0\.1:\d+ refused the credentials \((NOAUTH|WRONGPASS)[^)]*\); check the user and password in REDIS_URL/);
  await expect(start).rejects.not.toThrow(/a-wrong-password|cannot reach/);
});

it.each([
  ['no-scripts', /\(NOPERM [^)]*'eval(sha)?' command/],
  ['no-smembers', /\(NOPERM [^)]*'smembers' command/],
  // Run inside the store's take script, where Redis words the refusal its own way.
  ['no-getdel', /\(ERR The user executing the script can't run this command/],
])('with a user whose ACL refuses a command the store sends (%s), the start fails naming the refusal', async (user, command) => {
  const start = startSesame({ redisUrl: `redis://${user}:pw@127.0.0.1:${redis.port}`, smtpUrl: smtp.url });
  await expect(start).rejects.toThrow(/^Redis at redis:\/\/\*\*\*@127\.0\.0\.1:\d+ refuses a command Sesame needs to Sesame's user \(/);
  await expect(start).rejects.toThrow(command);
});
