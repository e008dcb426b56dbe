import { finished } from 'node:stream/promises';
import type { Context } from 'koa';
import { parseEmailAddress } from '../auth/email-address.ts';
import { summariseUserAgent } from '../auth/device-summary.ts';
import { clientIpSubject } from '../http/client-ip.ts';
import { clientNameOf } from './client-name.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';

export const SIGN_IN_MAIL_LIMITED = 'Too many sign-in emails were asked for, so no new one was sent. A link or code you already received keeps working until it expires.';

/**
 * POST /interaction/:uid/email — issues a link and a code and queues the mail. It does the same
 * work whether or not an account exists (the mail worker decides whether to send), so the answer
 * reveals nothing about the address: no account lookup happens on this path, and the per-address
 * limit counts every address alike.
 */
export function createRequestEmail({ provider, signInCodes, mailQueue, config, rateLimits, limits, lockout }: Pick<InteractionDeps, 'provider' | 'signInCodes' | 'mailQueue' | 'config' | 'rateLimits' | 'limits' | 'lockout'>) {
  return async function requestEmail(ctx: Context) {
    const interaction: Interaction = ctx.state.interaction;
    const form: Record<string, string> = ctx.state.form;
    const parsed = parseEmailAddress(form.email);
    const clientName = await clientNameOf(provider, interaction.params.client_id);
    if (!parsed.ok) {
      ctx.status = 400;
      return ctx.render('email', { clientName, email: (form.email ?? '').slice(0, 254), error: parsed.problem });
    }
    // Counted before issuing: a refused request must not replace the code of the last mail. In the
    // same batch, whether the address is locked out of codes: its mail then carries the link only.
    // Read for every address alike, so the answer cannot tell a locked one apart.
    const [, codesOff] = await Promise.all([
      rateLimits.enforce([[limits.signInMailPerIp, clientIpSubject(ctx)], [limits.signInMailPerAddress, parsed.email]], SIGN_IN_MAIL_LIMITED),
      lockout.isLocked(parsed.email),
    ]);
    const issued = await signInCodes.issue(interaction.uid, parsed.email, summariseUserAgent(ctx.get('user-agent')));
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
      expiresAt: issued.expiresAt.toISOString(),
      matchNumber: issued.matchNumber,
    }, { notBefore: answered });
    ctx.status = 303;
    ctx.redirect(`/interaction/${interaction.uid}/check`);
  };
}
