import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { createCsrf, requireCsrfForm, type CsrfScope } from '../../src/http/csrf.ts';
import { HttpError } from '../../src/http/errors.ts';

// A stand-in for an account page: its forms are bound to the account session named by a header
// here (a session cookie in real life), the way interaction forms are bound to their uid.
const csrf = createCsrf({ hmacKey: 'k'.repeat(32), issuer: 'http://127.0.0.1' });
let server: Server;
let url: string;

beforeAll(async () => {
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      ctx.status = error instanceof HttpError ? error.status : 500;
      ctx.body = error instanceof HttpError ? error.code : 'unexpected';
    }
  });
  const scopeOf = (ctx: Koa.Context): CsrfScope | undefined => (ctx.get('x-session') ? { accountSession: ctx.get('x-session') } : undefined);
  app.use(requireCsrfForm({ csrf, maxBodyBytes: 1024, scopeOf }));
  app.use((ctx) => {
    ctx.body = `saved ${ctx.state.form.name}`;
  });
  server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/account/name`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const post = (form: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form) });

describe('CSRF tokens bound to a scope', () => {
  it('an account form with its session\'s token goes through', async () => {
    const response = await post({ csrf: csrf.tokenFor({ accountSession: 'session-1' }), name: 'Ada' }, { 'x-session': 'session-1', origin: 'http://127.0.0.1', 'sec-fetch-site': 'same-origin' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('saved Ada');
  });

  it.each([
    ['no token', {}, { 'x-session': 'session-1' }],
    ['another session\'s token', { csrf: csrf.tokenFor({ accountSession: 'session-2' }) }, { 'x-session': 'session-1' }],
    ['an interaction token with the same id', { csrf: csrf.tokenFor({ interaction: 'session-1' }) }, { 'x-session': 'session-1' }],
    ['no session at all', { csrf: csrf.tokenFor({ accountSession: 'session-1' }) }, {}],
    ['a cross-site request', { csrf: csrf.tokenFor({ accountSession: 'session-1' }) }, { 'x-session': 'session-1', 'sec-fetch-site': 'cross-site' }],
    ['a same-site (other subdomain) request', { csrf: csrf.tokenFor({ accountSession: 'session-1' }) }, { 'x-session': 'session-1', 'sec-fetch-site': 'same-site' }],
    ['another origin', { csrf: csrf.tokenFor({ accountSession: 'session-1' }) }, { 'x-session': 'session-1', origin: 'https://evil.example' }],
  ])('refuses %s with 403', async (_label, form, headers) => {
    const response = await post({ ...form, name: 'Mallory' }, headers as Record<string, string>);
    expect(response.status).toBe(403);
    expect(await response.text()).toBe('csrf_rejected');
  });

  it('interaction and account tokens differ, and tokens differ per scope', () => {
    const tokens = [csrf.tokenFor({ interaction: 'a' }), csrf.tokenFor({ accountSession: 'a' }), csrf.tokenFor({ interaction: 'b' })];
    expect(new Set(tokens).size).toBe(3);
    expect(csrf.tokenFor({ interaction: 'a' })).toBe(tokens[0]);
  });
});
