import { translatorOf } from '../i18n/page-language.ts';
import type { Context, Next } from 'koa';
import { sessionEnded, signedOutSince, type Account } from '../accounts/accounts.ts';
import { clientSecondFactorSettings, type ClientSecondFactorSettings } from '../auth/mfa-policy.ts';
import { StepAlreadyDone , SIGN_IN_ENDED } from '../http/errors.ts';
import { backToSignIn } from '../http/next-step.ts';
import { MFA_PROMPT } from '../oidc/mfa-request.ts';
import { clientNameOf } from './client-name.ts';
import { cancelLabelOf, isDeviceSignIn, signInEnded } from './device-sign-in.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';

/** Whose second factor an authenticator page is about, and why. */
export interface SecondFactorSubject {
  account: Account;
  /** `sign-in`: the email was just proven in this interaction. `step-up`: an existing session is strengthened. */
  kind: 'sign-in' | 'step-up';
  client: ClientSecondFactorSettings;
  clientName: string;
  /** The "Cancel" button's words (interaction/device-sign-in.ts). */
  cancelLabel: string;
  /** A device's sign-in (RFC 8628): it starts again on the device, not at the app. */
  forDevice: boolean;
  /** A sign-in whose email step also gave consent to the app: completing it says so (oidc/implied-grant.ts). */
  consentGiven: boolean;
}

/**
 * After load-interaction: puts the SecondFactorSubject into ctx.state. A sign-in must have proven
 * the email in this very interaction; a step-up is always about the session's own account, so the
 * result keeps the same accountId. Anything else means the page is stale.
 */
export function loadSecondFactorSubject({ provider, accounts, secondFactor }: Pick<InteractionDeps, 'provider' | 'accounts' | 'secondFactor'>) {
  /** When the session a step-up strengthens was signed in (its loginTs), or the step-up's start where it is gone. */
  async function sessionSignInOf(interaction: Interaction): Promise<number | undefined> {
    const uid = interaction.session?.uid;
    const session = uid === undefined ? undefined : await provider.Session.findByUid(uid);
    return session?.accountId === interaction.session?.accountId && typeof session?.loginTs === 'number' ? session.loginTs : interaction.iat;
  }

  return async function requireSecondFactorSubject(ctx: Context, next: Next) {
    const interaction: Interaction = ctx.state.interaction;
    let accountId: string | undefined;
    let kind: SecondFactorSubject['kind'];
    let consentGiven = false;
    if (interaction.prompt.name === 'login') {
      kind = 'sign-in';
      const pending = await secondFactor.pending.find(interaction.uid);
      if (!pending) {
        // The sign-in is alive but its email is not proven yet (a bookmark, the back button): its
        // current step, not an "expired" page.
        ctx.status = 303;
        return ctx.redirect(`/interaction/${interaction.uid}`);
      }
      accountId = pending.accountId;
      consentGiven = pending.consentGiven === true;
    } else if (interaction.prompt.name === MFA_PROMPT) {
      kind = 'step-up';
      accountId = interaction.session?.accountId;
    } else {
      throw new StepAlreadyDone(backToSignIn(interaction.uid, { key: 'next.continueSigningIn' }));
    }
    const account = accountId === undefined ? undefined : await accounts.findById(accountId);
    if (!account) throw signInEnded(interaction, SIGN_IN_ENDED);
    // A step-up stands on the session it began with. A sign-out everywhere since that session's
    // sign-in ended it; finishing would hand the library a new login and bring it back. Weighed
    // by the session's loginTs, read by the clock the sign-out's stamp is (accounts/accounts.ts),
    // not by the interaction's iat, read by the clock of the instance that began the step-up: one
    // running ahead dated a step-up begun just before the sign-out after it. Where the session is
    // gone, the interaction's start, as before.
    const began = kind === 'step-up' ? await sessionSignInOf(interaction) : undefined;
    if (kind === 'step-up' && signedOutSince(account, began)) {
      throw signInEnded(interaction, [{ key: 'error.ended.signedOutEverywhere' }, { key: 'error.ended.signInAgain' }]);
    }
    // Likewise a sign-out of this browser from another one (its session, saved again by a request in flight then, may still be there).
    if (kind === 'step-up' && sessionEnded(account, interaction.session?.uid, began)) {
      throw signInEnded(interaction, [{ key: 'error.ended.signedOutHere' }, { key: 'error.ended.signInAgain' }]);
    }
    const client = await provider.Client.find(String(interaction.params.client_id));
    const clientName = await clientNameOf(provider, interaction.params.client_id, ctx);
    ctx.state.secondFactorSubject = {
      account,
      kind,
      client: clientSecondFactorSettings(client?.metadata() ?? {}),
      clientName,
      cancelLabel: cancelLabelOf(interaction, clientName, translatorOf(ctx)),
      forDevice: isDeviceSignIn(interaction),
      consentGiven,
    } satisfies SecondFactorSubject;
    return next();
  };
}
