import { describe, expect, it } from '@jest/globals';
import { clientSecondFactorSettings, secondFactorStep, type SecondFactorSituation } from '../../src/auth/mfa-policy.ts';
import { amrWithSecondFactor } from '../../src/oidc/acr.ts';
import { appRequestsMfa } from '../../src/oidc/mfa-request.ts';

const MFA = 'urn:sesame:acr:mfa';

describe('clientSecondFactorSettings', () => {
  it('defaults to optional with remembering allowed', () => {
    expect(clientSecondFactorSettings({})).toEqual({ mfa: 'optional', rememberDevice: true });
    expect(clientSecondFactorSettings({ mfa: 'required', remember_device: false })).toEqual({ mfa: 'required', rememberDevice: false });
    expect(clientSecondFactorSettings({ mfa: 'off' })).toEqual({ mfa: 'off', rememberDevice: true });
  });
});

describe('secondFactorStep', () => {
  const ask = (overrides: Partial<SecondFactorSituation> & { remembered?: boolean }) => {
    let deviceLookups = 0;
    const situation: SecondFactorSituation = {
      client: { mfa: 'optional', rememberDevice: true },
      requestedByApp: false,
      accountHasTotp: false,
      deviceRemembered: async () => {
        deviceLookups++;
        return overrides.remembered ?? false;
      },
      ...overrides,
    };
    return secondFactorStep(situation).then((step) => ({ step, deviceLookups }));
  };

  it.each([
    // policy, has TOTP, remembered, requested by app → step
    ['off', false, false, false, 'none'],
    ['off', true, false, false, 'none'],
    ['off', true, false, true, 'verify'],
    ['off', false, false, true, 'enroll'],
    ['optional', false, false, false, 'none'],
    ['optional', true, false, false, 'verify'],
    ['optional', true, true, false, 'none'],
    ['optional', true, true, true, 'verify'],
    ['optional', false, false, true, 'enroll'],
    ['required', false, false, false, 'enroll'],
    ['required', true, false, false, 'verify'],
    ['required', true, true, false, 'none'],
    ['required', true, true, true, 'verify'],
  ] as const)('%s, TOTP %s, remembered %s, requested %s → %s', async (mfa, accountHasTotp, remembered, requestedByApp, expected) => {
    expect((await ask({ client: { mfa, rememberDevice: true }, accountHasTotp, remembered, requestedByApp })).step).toBe(expected);
  });

  it('a client that disallows remembering always asks', async () => {
    expect((await ask({ client: { mfa: 'optional', rememberDevice: false }, accountHasTotp: true, remembered: true })).step).toBe('verify');
  });

  it('looks the device up only when it can change the answer (never for people without TOTP)', async () => {
    expect((await ask({ accountHasTotp: false })).deviceLookups).toBe(0);
    expect((await ask({ accountHasTotp: true, requestedByApp: true })).deviceLookups).toBe(0);
    expect((await ask({ accountHasTotp: true })).deviceLookups).toBe(1);
  });
});

describe('appRequestsMfa', () => {
  it.each([
    [{ acr_values: MFA }, true],
    [{ acr_values: `urn:sesame:acr:email ${MFA}` }, true],
    [{ acr_values: 'urn:sesame:acr:email' }, false],
    [{ prompt: 'mfa' }, true],
    [{ prompt: 'login consent' }, false],
    [{ claims: JSON.stringify({ id_token: { acr: { essential: true, values: [MFA] } } }) }, true],
    [{ claims: JSON.stringify({ id_token: { acr: { value: MFA } } }) }, true],
    [{ claims: JSON.stringify({ id_token: { email: null } }) }, false],
    [{ claims: '{not json' }, false],
    [{ claims: 'null' }, false],
    [{}, false],
  ])('%j → %s', (params, expected) => {
    expect(appRequestsMfa(params)).toBe(expected);
  });
});

describe('amrWithSecondFactor', () => {
  it('adds the method and mfa to the session’s first factor, once each', () => {
    expect(amrWithSecondFactor(['email'], 'otp')).toEqual(['email', 'otp', 'mfa']);
    expect(amrWithSecondFactor(undefined, 'recovery_code')).toEqual(['email', 'recovery_code', 'mfa']);
    expect(amrWithSecondFactor(['email', 'otp', 'mfa'], 'otp')).toEqual(['email', 'otp', 'mfa']);
    // A step-up names the second factor it used: an earlier step's is not part of this authentication.
    expect(amrWithSecondFactor(['email', 'recovery_code', 'mfa'], 'otp')).toEqual(['email', 'otp', 'mfa']);
    expect(amrWithSecondFactor(['email', 'otp', 'mfa'], 'recovery_code')).toEqual(['email', 'recovery_code', 'mfa']);
  });
});
