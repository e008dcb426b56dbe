import { describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { decodeJwt } from 'jose';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { signInWithCode, signInWithLink } from '../helpers/sign-in.ts';
import { FIRST_PARTY_CLIENT, MACHINE_CLIENT } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';
import { HttpBrowser } from '../helpers/http-browser.ts';

const running = useSesame();

describe('authorization-code flow with PKCE, signed in by email code', () => {
  it('issues a valid ID token with the verified email, acr and amr', async () => {
    const { tokens } = await signInWithCode(running, 'ada@example.com');
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(running.sesame.url);
    expect(claims.aud).toBe('test-app');
    expect(claims.email).toBe('ada@example.com');
    expect(claims.email_verified).toBe(true);
    expect(claims.amr).toEqual(['email']);
    expect(claims.acr).toBe('urn:sesame:acr:email');
    expect(typeof claims.auth_time).toBe('number');
    const account = await running.sesame.accounts.findByEmail('ada@example.com');
    expect(claims.sub).toBe(account!.id);
  });

  it('serves userinfo for the access token', async () => {
    const { tokens } = await signInWithCode(running, 'userinfo@example.com');
    const userinfo = await client.fetchUserInfo(running.rp.config, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo.email).toBe('userinfo@example.com');
    expect(userinfo.email_verified).toBe(true);
  });

  it('rotates refresh tokens with offline_access, and a used refresh token fails', async () => {
    const { tokens } = await signInWithCode({ ...running, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, 'refresh@example.com');
    expect(tokens.refresh_token).toBeDefined();
    const refreshed = await client.refreshTokenGrant(running.rp.config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    await expect(client.refreshTokenGrant(running.rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a public client\'s refresh tokens rotate though it registered nothing about it', async () => {
    const spa = await startRelyingParty(running.sesame.url, FIRST_PARTY_CLIENT);
    expect(FIRST_PARTY_CLIENT.rotate_refresh_tokens).toBeUndefined();
    const { tokens } = await signInWithCode({ rp: spa, smtp: running.smtp, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, 'spa-refresh@example.com');
    const refreshed = await client.refreshTokenGrant(spa.config, tokens.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    await expect(client.refreshTokenGrant(spa.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('introspects an active token, revokes it, then introspection says inactive', async () => {
    const { tokens } = await signInWithCode(running, 'revoke@example.com');
    const before = await client.tokenIntrospection(running.rp.config, tokens.access_token);
    expect(before.active).toBe(true);
    expect(before.client_id).toBe('test-app');
    expect(before.sub).toBe(tokens.claims()!.sub);
    await client.tokenRevocation(running.rp.config, tokens.access_token);
    const after = await client.tokenIntrospection(running.rp.config, tokens.access_token);
    expect(after.active).toBe(false);
  });

  it('a first-party client reuses the session of a sign-in to another app, with no consent asked', async () => {
    const { tokens: thirdParty, browser } = await signInWithCode(running, 'consent@example.com');
    expect(thirdParty.claims()!.email).toBe('consent@example.com');
    // The same browser, a first-party public client: its session is reused and no consent page appears.
    const { FIRST_PARTY_CLIENT } = await import('../helpers/test-config.ts');
    const spa = await startRelyingParty(running.sesame.url, FIRST_PARTY_CLIENT);
    const pending = await spa.startAuthorization();
    const page = await browser.navigate(pending.url);
    expect(page.leftTo).toMatch(/^http:\/\/127\.0\.0\.1:9\/spa-callback\?code=/);
    const tokens = await spa.handleCallback(page.leftTo!, pending);
    expect(tokens.claims()!.sub).toBe(thirdParty.claims()!.sub);
  });

  it('signs in with the magic link in the same browser', async () => {
    const { tokens, mail } = await signInWithLink(running, 'link@example.com');
    expect(mail.link).toContain('/link?t=');
    expect(tokens.claims()!.email).toBe('link@example.com');
  });

  it('signs out through RP-initiated logout with a confirmation page', async () => {
    const { tokens, browser } = await signInWithCode(running, 'logout@example.com');
    const endSession = client.buildEndSessionUrl(running.rp.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:9/signed-out', state: 'bye' });
    const confirm = await browser.navigate(endSession.href);
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain('Sign out of Sesame on this browser');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.html)![1]!;
    const action = /action="([^"]+)"/.exec(confirm.html)![1]!;
    const done = await browser.navigate(new URL(action, running.sesame.url).href, { form: { xsrf, logout: 'yes' } });
    expect(done.leftTo).toBe('http://127.0.0.1:9/signed-out?state=bye');
    // The session is gone: a new authorization asks for the email again.
    const pending = await running.rp.startAuthorization();
    const page = await browser.navigate(pending.url);
    expect(page.url).toMatch(/\/interaction\/[^/]+$/);
    expect(page.html).toContain('name="email"');
    expect(decodeJwt(tokens.id_token!).sub).toBeDefined();
  });
});

describe('machine clients', () => {
  it('get an access token with client_credentials, which the machine itself can introspect', async () => {
    const machine = await client.discovery(new URL(running.sesame.url), MACHINE_CLIENT.client_id, undefined, client.ClientSecretBasic(MACHINE_CLIENT.client_secret), { execute: [client.allowInsecureRequests] });
    const tokens = await client.clientCredentialsGrant(machine);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.access_token).toMatch(/\S{20,}/);
    const introspection = await client.tokenIntrospection(machine, tokens.access_token);
    expect(introspection).toMatchObject({ active: true, client_id: MACHINE_CLIENT.client_id });
    expect(introspection.sub).toBeUndefined();
  });

  // A machine's token has no person behind it: the identity scopes (openid, email, profile,
  // offline_access) would tell a resource server that introspects it about one that is not there.
  it.each(['openid', 'openid email', 'email', 'profile', 'offline_access'])('is refused a token for the scope "%s" (invalid_scope)', async (scope) => {
    const machine = await client.discovery(new URL(running.sesame.url), MACHINE_CLIENT.client_id, undefined, client.ClientSecretBasic(MACHINE_CLIENT.client_secret), { execute: [client.allowInsecureRequests] });
    const refused = await client.clientCredentialsGrant(machine, { scope }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(client.ResponseBodyError);
    expect((refused as client.ResponseBodyError).error).toBe('invalid_scope');
    expect((refused as client.ResponseBodyError).error_description).toContain('send the request without scope');
  });

  // Sesame defines no other scope: the library drops a word it does not know ("admin"), granted by nobody.
  it.each([undefined, 'admin'])('gets a token without any scope when it asks for %s, and introspection reports none', async (scope) => {
    const machine = await client.discovery(new URL(running.sesame.url), MACHINE_CLIENT.client_id, undefined, client.ClientSecretBasic(MACHINE_CLIENT.client_secret), { execute: [client.allowInsecureRequests] });
    const tokens = await client.clientCredentialsGrant(machine, scope === undefined ? {} : { scope });
    expect(tokens.scope).toBeUndefined();
    const introspection = await client.tokenIntrospection(machine, tokens.access_token);
    expect(introspection.active).toBe(true);
    expect(introspection.scope).toBeUndefined();
  });

  it('is registered without redirect_uris, and cannot use the authorization-code flow', async () => {
    expect(MACHINE_CLIENT.redirect_uris).toBeUndefined();
    const machineRp = await startRelyingParty(running.sesame.url, MACHINE_CLIENT);
    const pending = await machineRp.startAuthorization({ redirect_uri: 'https://app.example/callback' });
    const page = await new HttpBrowser().navigate(pending.url);
    // No registered address to send the browser to: an error page at Sesame, and no sign-in page.
    expect(page.leftTo).toBeUndefined();
    expect(page.status).toBe(400);
    expect(page.html).not.toContain('name="email"');
  });
});
