import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Accounts } from '../accounts/accounts.ts';
import { ACR_MFA, AMR_EMAIL, amrWithSecondFactor, loginProvenNow, type SecondFactorMethod } from '../oidc/acr.ts';
import { consentGivenWithSignIn } from '../oidc/implied-grant.ts';
import type { Interaction } from './load-interaction.ts';
import type { SecondFactorSubject } from './second-factor-subject.ts';

/**
 * Hands oidc-provider the multi-factor login: the same account, acr MFA, the methods used
 * (RFC 8176), and `mfa: {}` so that a `prompt=mfa` request counts as answered. auth_time becomes now
 * (the moment the factor was proven, kept through a consent page that follows: see loginProvenNow).
 * Returns where the browser continues (oidc-provider's resume URL).
 */
export async function completeSecondFactor(provider: Provider, accounts: Pick<Accounts, 'nowSecondsFor'>, ctx: Context, interaction: Interaction, subject: SecondFactorSubject, method: SecondFactorMethod): Promise<string> {
  const previous = subject.kind === 'step-up' ? interaction.session?.amr : [AMR_EMAIL];
  const ts = await loginProvenNow(accounts, subject.account.id);
  return provider.interactionResult(
    ctx.req,
    ctx.res,
    { login: { accountId: subject.account.id, acr: ACR_MFA, amr: amrWithSecondFactor(previous, method), remember: true, ts }, mfa: {}, ...(subject.consentGiven ? consentGivenWithSignIn() : {}) },
    { mergeWithLastSubmission: true },
  );
}
