import { describe, expect, it, jest } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import * as client from 'openid-client';
import { useCliOperator } from '../helpers/cli-operator.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { signInWithCode } from '../helpers/sign-in.ts';
import { TEST_CLIENT } from '../helpers/test-config.ts';

// Each CLI command is a new Node process: a second or more to start.
jest.setTimeout(90_000);

const operator = useCliOperator({ lockAfter: 5 });

const CLOCK_OFFSET = fileURLToPath(new URL('../helpers/clock-offset.mjs', import.meta.url));

/** The CLI run on a host whose clock is `offsetMs` off the servers' (negative: behind). */
const cliOnHostOff = (offsetMs: number, args: string[]) => operator.cli(args, { NODE_OPTIONS: `--import ${CLOCK_OFFSET}`, CLOCK_OFFSET_MS: String(offsetMs) });

describe('npm run cli on a host whose clock is not the servers\'', () => {
  it('user sign-out from a host whose clock is behind ends the tokens issued just before it', async () => {
    const rp = await startRelyingParty(operator.sesame.url, TEST_CLIENT);
    const email = 'cli-clock-behind@example.com';
    expect((await operator.cli(['user', 'add', email])).code).toBe(0);
    const { tokens } = await signInWithCode({ rp, smtp: operator.smtp, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, email);
    const sub = tokens.claims()!.sub;
    // Sessions and tokens carry whole seconds, and a sign-out spares what began in its own second.
    await new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));

    // Half a minute behind: by its clock, the sign-out is before the sign-in it must end.
    const signedOut = await cliOnHostOff(-30_000, ['user', 'sign-out', email]);
    expect(signedOut.code).toBe(0);

    await expect(client.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.fetchUserInfo(rp.config, tokens.access_token, sub)).rejects.toMatchObject({ status: 401 });
  });

  it('keys promote from a host whose clock is ahead waits as long as on any other: promoteAfterSeconds by Redis\'s clock', async () => {
    const added = await operator.cli(['keys', 'add', 'ES256']);
    expect(added.code).toBe(0);
    const kid = (JSON.parse(added.stdout).keys as { kid: string; state: string }[]).find((key) => key.state === 'next')!.kid;
    // Two hours ahead: by its clock, the key has been published longer than the hour it must be.
    const early = await cliOnHostOff(2 * 3_600_000, ['keys', 'promote', kid]);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toContain(`key ${kid} has been published for`);
    expect((JSON.parse((await operator.cli(['keys', 'list'])).stdout).keys as { kid: string; state: string }[]).find((key) => key.kid === kid)?.state).toBe('next');
  });
});
