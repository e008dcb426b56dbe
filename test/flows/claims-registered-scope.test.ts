import { describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { oidcRecordKey } from '../../src/store/keys.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { signInWithCode } from '../helpers/sign-in.ts';
import { TEST_CLIENT } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// An app registered with "scope": "openid" (its operator keeps it from people's addresses) gets no
// address, whatever its tokens say: the claims parameter refuses a claim of a scope outside the
// registration (bad-input.test.ts), and what is released is held to the registration as well, so
// tokens saved before that refusal existed (a rolling upgrade, a refresh chain that carries its
// claims on at every rotation) do not go on releasing the address.

const OPENID_ONLY_APP = { ...TEST_CLIENT, client_id: 'openid-only-app', redirect_uris: ['http://127.0.0.1:9/openid-only'], scope: 'openid offline_access', first_party: true };
const running = useSesame({ config: { clients: [TEST_CLIENT, OPENID_ONLY_APP] }, client: OPENID_ONLY_APP });

interface StoredToken { grantId: string; claims?: unknown }
interface StoredGrant { openid?: { scope?: string; claims?: string[] } }

/**
 * What the version before the refusal saved for `claims={"id_token":{"email":null},"userinfo":{"email":null}}`:
 * the claims on the token, and the claims in its grant.
 */
async function asSavedBeforeTheRefusal(model: 'AccessToken' | 'RefreshToken', tokenValue: string) {
  const store = running.sesame.store;
  const tokenKey = oidcRecordKey(model, tokenValue);
  const token = (await store.get<StoredToken>(tokenKey))!;
  const claims = { id_token: { email: null, email_verified: null }, userinfo: { email: null, email_verified: null } };
  await store.set(tokenKey, { ...token, claims }, await store.ttlSeconds(tokenKey));
  const grantKey = oidcRecordKey('Grant', token.grantId);
  const grant = (await store.get<StoredGrant>(grantKey))!;
  await store.set(grantKey, { ...grant, openid: { ...grant.openid, claims: ['email', 'email_verified'] } }, await store.ttlSeconds(grantKey));
}

describe('an app registered without the email scope', () => {
  it('gets no address from userinfo or a refreshed ID token, even with tokens that asked for it by name before it was refused', async () => {
    const rp = await startRelyingParty(running.sesame.url, OPENID_ONLY_APP);
    const { tokens } = await signInWithCode({ rp, smtp: running.smtp, authorizationParams: { scope: 'openid offline_access', prompt: 'consent' } }, 'kept-private@example.com');
    const sub = tokens.claims()!.sub;
    expect(tokens.claims()).not.toHaveProperty('email');

    await asSavedBeforeTheRefusal('AccessToken', tokens.access_token);
    const userinfo = await client.fetchUserInfo(rp.config, tokens.access_token, sub);
    expect(userinfo).toEqual({ sub });

    await asSavedBeforeTheRefusal('RefreshToken', tokens.refresh_token!);
    const refreshed = await client.refreshTokenGrant(rp.config, tokens.refresh_token!);
    expect(refreshed.claims()).not.toHaveProperty('email');
    expect(refreshed.claims()).not.toHaveProperty('email_verified');
    expect(await client.fetchUserInfo(rp.config, refreshed.access_token, sub)).toEqual({ sub });
  });
});
