import type { Context } from 'koa';
import { LinkNoLongerWorks, SignInExpired } from '../http/errors.ts';
import type { NextStep } from '../http/next-step.ts';
import { translatorOf } from '../i18n/page-language.ts';
import type { MessageRef } from '../i18n/translate.ts';
import { clientNameOf } from './client-name.ts';
import { currentStepOf } from './current-step.ts';
import type { SignInCodes } from '../auth/sign-in-codes.ts';
import { cancelLabelOf, deviceSignInEnded } from './device-sign-in.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import { interactionOfThisBrowser } from './load-interaction.ts';
import { requestedFromIn } from './requested-from.ts';
import { sharingAskedWithSignIn } from './sharing-notice.ts';

export const LINK_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * "This link has ended", in a browser that holds no sign-in (another device, or after it expired):
 * `appMessage` for an app's link; for a device's, which its token tells (SignInCodes.wasIssuedForDevice),
 * start again on the device, as the device's own pages say (device-sign-in.ts). A token that is not
 * one cannot tell: the words then cover both.
 */
export function linkEnded(signInCodes: Pick<SignInCodes, 'wasIssuedForDevice'>, uid: string, token: string, appMessage: readonly MessageRef[]): SignInExpired {
  if (!LINK_TOKEN_SHAPE.test(token)) return new SignInExpired(NOT_A_LINK);
  return signInCodes.wasIssuedForDevice(uid, token) ? deviceSignInEnded(appMessage) : new SignInExpired(appMessage);
}

const NOT_A_LINK: MessageRef = { key: 'error.link.notALink' };

/**
 * GET /interaction/:uid/link?t=… — only a confirmation page. A GET never changes state
 * (RFC 9110 §9.2.1): mail scanners such as Safe Links fetch every link before the person does.
 * In the browser that started the sign-in one button finishes it; on another device the person
 * must also type the number the waiting tab shows, so nobody approves a sign-in they did not start.
 * The number is in no mail: whoever reads the mail has not thereby seen the tab.
 */
export function createOpenLink({ provider, signInCodes, secondFactor }: Pick<InteractionDeps, 'provider' | 'signInCodes' | 'secondFactor'>) {
  return async function openLink(ctx: Context) {
    const token = typeof ctx.query.t === 'string' ? ctx.query.t : '';
    const pending = LINK_TOKEN_SHAPE.test(token) ? await signInCodes.peekLink(ctx.params.uid!, token) : undefined;
    const interaction = await interactionOfThisBrowser(provider, ctx);
    if (!pending) {
      // In the browser where this sign-in still waits, with a newer email out: not "ended".
      if (interaction && (await signInCodes.pending(interaction.uid))) {
        ctx.status = 400;
        ctx.set('Cache-Control', 'no-store');
        const { t } = translatorOf(ctx);
        return ctx.render('error', {
          title: t('error.link.replaced.title'),
          message: t('error.link.replaced.message'),
          code: 'link_replaced',
          nextStep: { href: `/interaction/${interaction.uid}/check`, label: t('next.backToSignIn') } satisfies NextStep,
        });
      }
      // This browser's sign-in goes on (its code was used and the authenticator is next, or the
      // code expired and a new one can be asked for): back to it, not "ended".
      if (interaction) throw new LinkNoLongerWorks(await currentStepOf({ secondFactor }, interaction));
      throw linkEnded(signInCodes, ctx.params.uid!, token, [{ key: 'error.link.ended' }, { key: 'error.link.endedRequestFromApp' }]);
    }
    const sameBrowser = interaction !== undefined;
    // On another device the app is named from the pending sign-in: that browser holds no interaction.
    const clientName = interaction ? await clientNameOf(provider, interaction.params.client_id, ctx) : pending.clientName;
    ctx.set('Cache-Control', 'no-store');
    await ctx.render('link-confirm', {
      clientName,
      // Only the same browser can cancel: its sign-in is the one the button ends.
      cancelLabel: interaction && clientName !== undefined ? cancelLabelOf(interaction, clientName, translatorOf(ctx)) : undefined,
      sharing: interaction ? await sharingAskedWithSignIn(provider, interaction) : undefined,
      email: pending.email,
      requestedFrom: requestedFromIn(pending.requestedFrom, translatorOf(ctx)),
      // A device's sign-in: the page says so, to the person who may never have seen the device pages.
      forDevice: pending.forDevice === true,
      token,
      sameBrowser,
    });
  };
}
