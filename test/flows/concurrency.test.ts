import { describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { finishAtApp, requestSignInMail, signInWithCode } from '../helpers/sign-in.ts';
import { SERVER_APP_CLIENT, testConfig } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// Fifty parallel entries of one code come from one test client: the per-IP budget for code
// entries (60 per 15 minutes by default) is not what this file is about (rate-limits.test.ts is).
const { rateLimits } = testConfig({ issuer: 'http://unused' });
const running = useSesame({ config: { rateLimits: { ...rateLimits, codeEntriesPerIp: { limit: 1000, windowSeconds: 900 } } } });

const PARALLEL = 50;

/** A code that was not accepted: a redirect back to a page of the sign-in, with the reason in its address. */
const refusedCode = (response: Response) => response.status === 303 && /^\/interaction\/[^/?]+(\/check)?\?error=/.test(response.headers.get('location') ?? '');

describe('concurrent double redemption: exactly one wins', () => {
  it('the same code posted in parallel signs in once', async () => {
    const { browser, uid, mail, checkPage } = await requestSignInMail(running, 'race-code@example.com');
    const form = { ...formFields(checkPage.html, '/code'), code: mail.code! };
    const responses = await Promise.all(Array.from({ length: PARALLEL }, () => browser.request(`${running.sesame.url}/interaction/${uid}/code`, { form })));
    const winners = responses.filter((r) => r.status === 303 && r.headers.get('location')!.includes(`/auth/${uid}`));
    expect(winners).toHaveLength(1);
    // The others are sent to a page that says the code no longer works.
    expect(responses.filter(refusedCode)).toHaveLength(PARALLEL - 1);
  });

  it('the same link confirmed in parallel signs in once', async () => {
    const { browser, uid, mail } = await requestSignInMail(running, 'race-link@example.com');
    const confirm = await browser.navigate(mail.link!);
    const form = formFields(confirm.html, '/link');
    const responses = await Promise.all(Array.from({ length: PARALLEL }, () => browser.request(`${running.sesame.url}/interaction/${uid}/link`, { form })));
    expect(responses.filter((r) => r.status === 303)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 400)).toHaveLength(PARALLEL - 1);
  });

  it('the code and the link of one mail, raced against each other, sign in once', async () => {
    const { browser, uid, mail, checkPage } = await requestSignInMail(running, 'race-both@example.com');
    const linkForm = formFields((await browser.navigate(mail.link!)).html, '/link');
    const codeForm = { ...formFields(checkPage.html, '/code'), code: mail.code! };
    const responses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) => (i % 2 === 0 ? browser.request(`${running.sesame.url}/interaction/${uid}/code`, { form: codeForm }) : browser.request(`${running.sesame.url}/interaction/${uid}/link`, { form: linkForm }))),
    );
    expect(responses.filter((r) => r.status === 303 && r.headers.get('location')!.includes(`/auth/${uid}`))).toHaveLength(1);
    // A refused link is an error page; a refused code, a redirect to a page that says why.
    expect(responses.filter((r) => r.status === 400 || refusedCode(r))).toHaveLength(PARALLEL - 1);
  });

  it('the same authorization code exchanged in parallel yields tokens once', async () => {
    const { browser, uid, mail, checkPage, pending } = await requestSignInMail(running, 'race-token@example.com');
    const page = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
    const callback = await finishAtApp(browser, page);
    const outcomes = await Promise.allSettled(Array.from({ length: PARALLEL }, () => running.rp.handleCallback(callback, pending)));
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({ error: 'invalid_grant' });
    }
    // A replay at once is a replay: what the winner got is revoked, as after a replay one by one.
    const tokens = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof running.rp.handleCallback>>>).value;
    expect((await client.tokenIntrospection(running.rp.config, tokens.access_token)).active).toBe(false);
  });

  it('the same refresh token used in parallel rotates once', async () => {
    const { browser, uid, mail, checkPage, pending } = await requestSignInMail(
      { ...running, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } },
      'race-refresh@example.com',
    );
    const page = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
    const tokens = await running.rp.handleCallback(await finishAtApp(browser, page), pending);
    const outcomes = await Promise.allSettled(Array.from({ length: PARALLEL }, () => client.refreshTokenGrant(running.rp.config, tokens.refresh_token!)));
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    // And the rotated token the winner got no longer refreshes: the grant was revoked.
    const rotated = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof client.refreshTokenGrant>>>).value;
    await expect(client.refreshTokenGrant(running.rp.config, rotated.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await client.tokenIntrospection(running.rp.config, rotated.access_token)).active).toBe(false);
  });

  it('a server-side app (refresh tokens not rotated) refreshing in several processes at once keeps its grant', async () => {
    const serverApp = await startRelyingParty(running.sesame.url, SERVER_APP_CLIENT);
    const { tokens } = await signInWithCode({ rp: serverApp, smtp: running.smtp, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, 'many-processes@example.com');
    const outcomes = await Promise.all(Array.from({ length: PARALLEL }, () => client.refreshTokenGrant(serverApp.config, tokens.refresh_token!)));
    // Every one succeeds, and the refresh token stays what it was: nothing for a later refresh to trip over.
    expect(new Set(outcomes.map((outcome) => outcome.refresh_token))).toEqual(new Set([tokens.refresh_token]));
    for (const outcome of outcomes) expect((await client.tokenIntrospection(serverApp.config, outcome.access_token)).active).toBe(true);
    expect((await client.refreshTokenGrant(serverApp.config, tokens.refresh_token!)).access_token).toBeDefined();
  });

  it('a code reused after a successful exchange revokes what it issued', async () => {
    const { browser, uid, mail, checkPage, pending } = await requestSignInMail(running, 'replay@example.com');
    const page = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
    const callback = await finishAtApp(browser, page);
    const tokens = await running.rp.handleCallback(callback, pending);
    await expect(running.rp.handleCallback(callback, pending)).rejects.toMatchObject({ error: 'invalid_grant' });
    const introspection = await client.tokenIntrospection(running.rp.config, tokens.access_token);
    expect(introspection.active).toBe(false);
  });
});

describe('a second browser cannot use the first one\'s interaction', () => {
  it('posting the right code from another browser fails and leaves the code usable', async () => {
    const { browser, uid, mail, checkPage, pending } = await requestSignInMail(running, 'owner@example.com');
    const thief = new HttpBrowser();
    const stolen = await thief.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
    expect(stolen.status).toBe(400);
    const page = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
    const tokens = await running.rp.handleCallback(await finishAtApp(browser, page), pending);
    expect(tokens.claims()!.email).toBe('owner@example.com');
  });
});
