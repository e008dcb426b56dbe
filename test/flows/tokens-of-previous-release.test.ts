import { describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { oidcRecordKey } from '../../src/store/keys.ts';
import { signInWithCode } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';

const running = useSesame();

// Sessions and tokens carry whole seconds, and the sign-out spares what began in its own second.
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));

// An access token issued by the release before this one (41c2213) carries no auth_time: this one
// judges it by its issue, as that release did, against a sign-out everywhere (README "Rolling upgrades").
describe('an access token of the previous release, after the upgrade', () => {
  it('is ended by a sign-out everywhere taken here', async () => {
    const { tokens } = await signInWithCode({ ...running, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, 'before-upgrade@example.com');
    const sub = tokens.claims()!.sub;
    const key = oidcRecordKey('AccessToken', tokens.access_token);
    const saved = await running.sesame.store.get<Record<string, unknown>>(key);
    expect(saved?.extra).toEqual({ auth_time: expect.any(Number) });
    // As 41c2213 saved it: the same payload, without `extra`.
    const { extra: _extra, ...asPreviousRelease } = saved!;
    await running.sesame.store.replace(key, asPreviousRelease, (await running.sesame.store.ttlSeconds(key))!);
    expect((await client.fetchUserInfo(running.rp.config, tokens.access_token, sub)).email).toBe('before-upgrade@example.com');

    await nextSecond();
    await running.sesame.accounts.signOutEverywhere(sub);
    await expect(client.fetchUserInfo(running.rp.config, tokens.access_token, sub)).rejects.toMatchObject({ status: 401 });
    expect((await client.tokenIntrospection(running.rp.config, tokens.access_token)).active).toBe(false);
  });
});
