import { describe, expect, it, jest } from '@jest/globals';
import { emailHashOf } from '../../src/observability/audit-log.ts';
import { useCliOperator } from '../helpers/cli-operator.ts';

// Each CLI command here is a new Node process (type stripping and module loading: about a second
// alone, several on a machine busy with the rest of the suite), and a test runs several in a row.
jest.setTimeout(90_000);

// The CLI's audit lines (README "Audit log"), in a file of their own: fifteen processes of the
// CLI, each a few seconds to start, run beside user-cli.test.ts instead of after it.
const operator = useCliOperator({ lockAfter: 5 });
const cli = operator.cli;

describe('npm run cli: the audit trail', () => {
  it('records what each command did in an audit line on stderr: the account by its id, never an address', async () => {
    const fromTheCli = (command: string) => ({ level: 30, time: expect.any(Number), service: 'sesame', audit: true, via: 'cli', command, operator: expect.any(String) });
    const email = 'audited@example.com';
    const added = await cli(['user', 'add', email]);
    const accountId = JSON.parse(added.stdout).id as string;
    expect(added.audit).toEqual([{ ...fromTheCli('user add'), event: 'account.created', accountId }]);
    // The four that change nothing the others read run at once.
    const [shown, exported, listed, unlocked] = await Promise.all([cli(['user', 'show', email]), cli(['user', 'export', email]), cli(['user', 'list']), cli(['user', 'unlock', email])]);
    expect(shown.audit).toEqual([{ ...fromTheCli('user show'), event: 'account.viewed', accountId }]);
    expect(exported.audit).toEqual([{ ...fromTheCli('user export'), event: 'account.exported', accountId }]);
    expect(listed.audit).toEqual([{ ...fromTheCli('user list'), event: 'accounts.listed', count: JSON.parse(listed.stdout).length }]);
    // No account is looked up to unlock an address: it is named by its keyed hash, as at sign-in.
    expect(unlocked.audit).toEqual([
      { ...fromTheCli('user unlock'), event: 'lockout.lifted', emailHash: emailHashOf(operator.env.HMAC_KEY!, email), wasLocked: { signInCodes: false, secondFactor: false } },
    ]);
    expect((await cli(['user', 'sign-out', email])).audit).toEqual([{ ...fromTheCli('user sign-out'), event: 'account.signed_out_everywhere', accountId }]);
    expect((await cli(['user', 'reset-mfa', email])).audit).toEqual([{ ...fromTheCli('user reset-mfa'), event: 'second_factor.reset', accountId, removedAuthenticator: false, forgottenBrowsers: 0 }]);
    const moved = 'audited-moved@example.com';
    expect((await cli(['user', 'change-email', email, moved])).audit).toEqual([{ ...fromTheCli('user change-email'), event: 'email.changed', accountId }]);
    const removed = await cli(['user', 'remove', moved]);
    expect(removed.audit).toEqual([{ ...fromTheCli('user remove'), event: 'account.deleted', accountId }]);
    // Nothing done, nothing recorded.
    expect(await cli(['user', 'remove', moved])).toMatchObject({ code: 1, audit: [] });

    // Signing keys: each change; listing them (public keys, no one's data) is not recorded.
    const keyAdded = await cli(['keys', 'add', 'ES256']);
    const kid = (JSON.parse(keyAdded.stdout).keys as { kid: string; state: string }[]).find((key) => key.state === 'next')!.kid;
    expect(keyAdded.audit).toEqual([{ ...fromTheCli('keys add'), event: 'signing_key.added', kid, alg: 'ES256' }]);
    expect((await cli(['keys', 'list'])).audit).toEqual([]);

    // stdout stays the command's JSON; stderr, besides the audit lines, says nothing when all went well.
    expect(removed.stderr).toBe('');
    expect(JSON.parse(removed.stdout).removed.id).toBe(accountId);
    expect(JSON.stringify([added, listed, removed].map((result) => result.audit))).not.toContain('@');
    // Fifteen processes of the CLI, each a few seconds to start on a busy machine.
  }, 120_000);

  it('runs nothing for an argument with a control character: it could write a forged audit line, or a terminal escape, on stderr', async () => {
    // A support script that passes on an address from a request (`npm run cli -- user show "$EMAIL"`):
    // echoed as it stands, a line break in it made a line of its own on stderr, where audit lines go.
    const forged = '{"level":30,"service":"sesame","audit":true,"via":"cli","command":"user remove","event":"account.deleted","accountId":"someone"}';
    const cases = [
      ['user', 'show', `x\n${forged}\n`],
      ['user', `show\n${forged}\n`, 'a@example.com'],
      [`user\n${forged}\n`],
      ['keys', 'promote', `kid\n${forged}\n`],
      ['keys', 'add', `RS256\n${forged}\n`],
      ['user', 'show', 'name@example.com\u001b]8;;https://evil.example\u0007'],
      ['user', 'show', 'name@example.com\u009b2J'],
      ['user', 'show', 'moc.elpmaxe@eman\u202e'],
    ];
    // Each refused before it reads anything: the eight run at once.
    const results = await Promise.all(cases.map((args) => cli(args)));
    for (const [i, args] of cases.entries()) {
      const result = results[i]!;
      expect([args, result.code, result.audit, result.stdout]).toEqual([args, 2, [], '']);
      // One line, naming the argument with the character escaped: no line of the argument's making.
      expect(result.stderr.split('\n')).toEqual([expect.stringMatching(/^Argument \d \(".*"\) holds a control or formatting character\b/), '']);
      expect(result.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    }
    // Eight processes of the CLI.
  }, 120_000);
});
