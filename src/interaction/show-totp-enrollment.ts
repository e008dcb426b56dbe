import { translatorOf } from '../i18n/page-language.ts';
import type { Context } from 'koa';
import type { InteractionDeps } from './interaction-deps.ts';
import type { SecondFactorSubject } from './second-factor-subject.ts';
import { answerHeadWithoutSecret, enrollmentErrorOf, renderTotpEnrollPage } from './totp-enrollment-pages.ts';

/** GET (and HEAD) /interaction/:uid/totp/enroll — the app requires a second step this account lacks. */
export function createShowTotpEnrollment({ secondFactor, config }: Pick<InteractionDeps, 'secondFactor' | 'config'>) {
  return async function showTotpEnrollment(ctx: Context) {
    const subject: SecondFactorSubject = ctx.state.secondFactorSubject;
    // A GET makes the secret it shows: it takes this sign-in's cookie and proven email, and the
    // same secret is shown again on a reload. A HEAD shows nothing, so it makes nothing.
    if (ctx.method === 'HEAD' && !subject.account.totp) return answerHeadWithoutSecret(ctx);
    const offer = await secondFactor.enrollment.begin(subject.account, `interaction:${ctx.params.uid!}`);
    if (!offer) return ctx.redirect(`/interaction/${ctx.params.uid}/totp`);
    const { t } = translatorOf(ctx);
    await renderTotpEnrollPage(ctx, offer, {
      heading: t('enroll.title'),
      intro: t('enroll.intro', { clientName: subject.clientName }),
      formAction: `/interaction/${ctx.params.uid}/totp/enroll`,
      cancelAction: `/interaction/${ctx.params.uid}/abort`,
      cancelLabel: subject.cancelLabel,
      error: enrollmentErrorOf(ctx, config.support),
    });
  };
}
