import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import { signInEnded } from './device-sign-in.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';
import type { SecondFactorSubject } from './second-factor-subject.ts';

/**
 * Whether the session a step-up stands on had signed in within `recentSeconds` when the step-up
 * began: the rule the login prompt applies before a step-up that would set up an authenticator
 * (oidc/enrolment-needs-recent-sign-in.ts), read as it was at that moment, so that scanning the
 * QR code may take the sign-in's whole lifetime. An email proven again since (another tab) counts.
 */
export async function sessionWasRecentAtStepUp(provider: Provider, interaction: Interaction, recentSeconds: number): Promise<boolean> {
  const uid = interaction.session?.uid;
  if (uid === undefined) return false;
  const session = await provider.Session.findByUid(uid);
  const loginTs = session?.loginTs;
  return typeof loginTs === 'number' && interaction.iat - loginTs <= recentSeconds;
}

/**
 * Before the set-up pages of a step-up (after loadSecondFactorSubject). The login prompt lets a
 * step-up of an old session through when the account has an authenticator: its code proves the
 * person by itself. Removed while that prompt is open (by its owner on the account page of another
 * browser, which ends no session; `user reset-mfa` signs out everywhere, see second-factor-subject.ts),
 * the prompt leads to the set-up instead, and whoever is at a browser left unattended would bind
 * their own authenticator to the account on a session days old (NIST SP 800-63B §6.1.2.1). Such a
 * step-up ends; started again, it asks for the email first. A sign-in (email proven in it) and a
 * step-up of a recent session go on.
 */
export function requireRecentSessionForStepUpEnrolment({ provider, config }: Pick<InteractionDeps, 'provider' | 'config'>) {
  return async function recentSessionForStepUpEnrolment(ctx: Context, next: Next) {
    const interaction: Interaction = ctx.state.interaction;
    const subject: SecondFactorSubject = ctx.state.secondFactorSubject;
    if (subject.kind === 'step-up' && !subject.account.totp && !(await sessionWasRecentAtStepUp(provider, interaction, config.accountArea.freshSecondFactorSeconds))) {
      throw signInEnded(interaction, [{ key: 'error.ended.authenticatorRemoved' }, { key: 'error.ended.signInAgain' }]);
    }
    return next();
  };
}
