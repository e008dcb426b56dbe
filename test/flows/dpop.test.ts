import { describe, expect, it } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import * as jose from 'jose';
import * as client from 'openid-client';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { finishAtApp } from '../helpers/sign-in.ts';
import { FIRST_PARTY_CLIENT } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';
import { oidcRecordKey } from '../../src/store/keys.ts';

// DPoP (RFC 9449), which discovery advertises (dpop_signing_alg_values_supported): a public client
// binds its tokens to a key of its own, and every use of them carries a fresh proof signed with it.

const running = useSesame({ client: FIRST_PARTY_CLIENT });

/** A sign-in of the single-page app whose code is exchanged with DPoP: its tokens and its key. */
async function signInWithDpop(email: string) {
  const spa = await startRelyingParty(running.sesame.url, FIRST_PARTY_CLIENT);
  const keyPair = await client.randomDPoPKeyPair('ES256', { extractable: true });
  const DPoP = client.getDPoPHandle(spa.config, keyPair);
  const pending = await spa.startAuthorization({ scope: 'openid email offline_access', prompt: 'consent' });
  const browser = new HttpBrowser();
  const emailForm = await browser.navigate(pending.url);
  const uid = emailForm.url.split('/').pop()!;
  const check = await browser.navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...formFields(emailForm.html, '/email'), email } });
  const mail = await running.smtp.waitForMail(email);
  const callback = await finishAtApp(browser, await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(check.html, '/code'), code: mail.code! } }));
  const tokens = await client.authorizationCodeGrant(spa.config, new URL(callback), { pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce }, undefined, { DPoP });
  return { spa, DPoP, keyPair, tokens };
}

/** A DPoP proof for GET /me with this access token (RFC 9449 §4.2), with a jti of its own (or `jti`), made now (or at `iat`). */
async function userinfoProof(keyPair: CryptoKeyPair, accessToken: string, { jti = randomUUID(), iat = Math.floor(Date.now() / 1000) } = {}): Promise<string> {
  return new jose.SignJWT({ jti, htm: 'GET', htu: `${running.sesame.url}/me`, iat, ath: createHash('sha256').update(accessToken).digest('base64url') })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await jose.exportJWK(keyPair.publicKey) })
    .sign(keyPair.privateKey);
}

const userinfoWith = (accessToken: string, proof: string) => fetch(`${running.sesame.url}/me`, { headers: { authorization: `DPoP ${accessToken}`, dpop: proof } });

describe('DPoP-bound tokens', () => {
  it('work with a proof of their key, and not without one', async () => {
    const { spa, DPoP, tokens } = await signInWithDpop('dpop-bound@example.com');
    expect(tokens.token_type).toBe('dpop');
    expect(await client.fetchUserInfo(spa.config, tokens.access_token, tokens.claims()!.sub, { DPoP })).toMatchObject({ email: 'dpop-bound@example.com' });
    // Sent as a bearer token, or without a proof, the access token is refused.
    expect((await fetch(`${running.sesame.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
    expect((await fetch(`${running.sesame.url}/me`, { headers: { authorization: `DPoP ${tokens.access_token}` } })).status).toBe(400);
    // So is the refresh token without a proof; with one it rotates and stays bound.
    const refusedRefresh = await fetch(`${running.sesame.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: FIRST_PARTY_CLIENT.client_id }) });
    expect(await refusedRefresh.json()).toMatchObject({ error: 'invalid_grant' });
    const refreshed = await client.refreshTokenGrant(spa.config, tokens.refresh_token!, undefined, { DPoP });
    expect(refreshed.token_type).toBe('dpop');
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  });

  it('a proof is accepted once: used again, one after the other or 20 times at once, it is refused (RFC 9449 §11.1)', async () => {
    const { keyPair, tokens } = await signInWithDpop('dpop-replay@example.com');
    const proof = await userinfoProof(keyPair, tokens.access_token);
    expect((await userinfoWith(tokens.access_token, proof)).status).toBe(200);
    expect((await userinfoWith(tokens.access_token, proof)).status).toBe(401);
    // Someone who caught a proof (and its token) and sends it many times at once.
    const caught = await userinfoProof(keyPair, tokens.access_token);
    const statuses = await Promise.all(Array.from({ length: 20 }, async () => (await userinfoWith(tokens.access_token, caught)).status));
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(19);
  });

  it('a proof dated ahead (its maker\'s clock runs fast) is remembered for as long as it would be accepted, on any instance', async () => {
    const { keyPair, tokens } = await signInWithDpop('dpop-ahead@example.com');
    const jti = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    // Four minutes ahead: accepted, as the library takes an iat up to 300 s either side of its clock.
    const iat = now + 240;
    expect((await userinfoWith(tokens.access_token, await userinfoProof(keyPair, tokens.access_token, { jti, iat }))).status).toBe(200);
    // Sent again, it is accepted wherever the clock is within 300 s of its iat: until 540 s from now
    // here, a minute more on an instance whose clock is a minute behind. Its jti must be kept that long.
    const id = createHash('sha256').update(`${FIRST_PARTY_CLIENT.client_id}${jti}`).digest('base64url');
    expect(await running.sesame.store.ttlSeconds(oidcRecordKey('ReplayDetection', id))).toBeGreaterThanOrEqual(iat + 300 + 60 - now);
    expect((await userinfoWith(tokens.access_token, await userinfoProof(keyPair, tokens.access_token, { jti, iat }))).status).toBe(401);
  });
});
