import { finished } from 'node:stream/promises';
import type { Context } from 'koa';
import { domainsInWords } from '../accounts/signup-policy.ts';
import { parseEmailAddress } from '../auth/email-address.ts';
import { translatorOf } from '../i18n/page-language.ts';
import { summariseUserAgent } from '../auth/device-summary.ts';
import { addressAllowedForInteraction, appDomainsText } from './app-domains.ts';
import { clientNameOf } from './client-name.ts';
import { cancelLabelOf, isDeviceSignIn } from './device-sign-in.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';

/**
 * POST /interaction/:uid/email — issues a link and a code and queues the mail. It does the same
 * work whether or not an account exists (the mail worker decides whether to send), so the answer
 * reveals nothing about the address: no account lookup happens on this path, and the per-address
 * limit counts every address alike.
 */
export function createRequestEmail({ provider, signInCodes, mailQueue, mailCeiling, config, audit }: Pick<InteractionDeps, 'provider' | 'signInCodes' | 'mailQueue' | 'mailCeiling' | 'config' | 'audit'>) {
  return async function requestEmail(ctx: Context) {
    const interaction: Interaction = ctx.state.interaction;
    const form: Record<string, string> = ctx.state.form;
    const parsed = parseEmailAddress(form.email);
    const clientName = await clientNameOf(provider, interaction.params.client_id, ctx);
    const translator = translatorOf(ctx);
    const appDomains = await appDomainsText(provider, interaction, translator);
    const cancelLabel = cancelLabelOf(interaction, clientName, translator);
    const newAccountDomains = domainsInWords(config.signupDomains, translator);
    if (!parsed.ok) {
      ctx.status = 400;
      return ctx.render('email', { clientName, cancelLabel, email: (form.email ?? '').slice(0, 254), error: translator.t(parsed.problemKey), appDomains, newAccountDomains });
    }
    // A rule about the domain, the same for every address there: no mail, and nothing about accounts said.
    if (appDomains && !(await addressAllowedForInteraction(provider, interaction, parsed.email))) {
      ctx.status = 400;
      return ctx.render('email', { clientName, cancelLabel, email: parsed.email, error: translator.t('email.error.outsideApp', { clientName, domains: appDomains }), appDomains, appDomainsSaid: true, newAccountDomains });
    }
    // Counted before issuing (start-limit-checks.ts, with the interaction's read): a refused request
    // must not replace the code of the last mail. Whether the address is locked out of codes was
    // read alike for every address; a locked one's mail carries the link only.
    const [, codesOff] = await (ctx.state.signInMailChecks as Promise<[void, boolean]>);
    // Before issuing too: a mail refused must not end the code of the last one.
    await mailCeiling.assertRoom();
    const forDevice = isDeviceSignIn(interaction);
    const issued = await signInCodes.issue(interaction.uid, parsed.email, { requestedFrom: summariseUserAgent(ctx.get('user-agent')), clientId: String(interaction.params.client_id), clientName, forDevice });
    const link = new URL(`/interaction/${interaction.uid}/link`, config.issuer);
    link.searchParams.set('t', issued.linkToken);
    // Delivered once this answer has left (see EnqueueOptions.notBefore): the same timing for every address.
    const answered = finished(ctx.res).catch(() => undefined);
    await mailQueue.enqueue({
      kind: 'sign-in',
      to: parsed.email,
      clientName,
      link: link.href,
      // A locked address's code is not even queued: it would not be accepted anyway.
      code: codesOff ? '' : issued.code,
      ...(codesOff ? { codesOff: true } : {}),
      ...(forDevice ? { forDevice: true } : {}),
      expiresAt: issued.expiresAt.toISOString(),
      // The sign-in's language (i18n/sign-in-language.ts), which this page speaks already.
      locale: translator.locale,
    }, { notBefore: answered });
    // The same line for every address: whether it has an account is not looked up here, nor told.
    audit.record({ event: 'sign_in.mail_requested', clientId: String(interaction.params.client_id), address: parsed.email });
    ctx.status = 303;
    // "Send a new link and code" (the check page's form says so): the page tells that the earlier mails stopped working.
    ctx.redirect(`/interaction/${interaction.uid}/check${form.resend === '1' ? '?notice=resent' : ''}`);
  };
}
