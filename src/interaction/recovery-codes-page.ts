import type { Context } from 'koa';
import type { RecoveryCodesToShow } from '../auth/recovery-codes-to-show.ts';

/** What views/recovery-codes.ejs needs, for the sign-in and the /account variants alike. */
export interface RecoveryCodesPageLocals {
  /** The codes, this once; undefined when they were shown already (or never made for this page). */
  shown: RecoveryCodesToShow | undefined;
  /** Where "I have saved these codes" posts (with the codes on the page). */
  confirmAction: string;
  continueLabel: string;
  /** Where to go on from the page without codes; undefined when there is nowhere left to go (the sign-in is over). */
  continueUrl: string | undefined;
}

/** Renders the recovery codes once, or says that they are not shown again and where to get new ones. */
export async function renderRecoveryCodesPage(ctx: Context, locals: RecoveryCodesPageLocals) {
  const appName: string = ctx.state.appName ?? 'Sesame';
  await ctx.render('recovery-codes', {
    ...locals,
    // A file name that is safe on every system, whatever the operator named the service.
    fileName: `${appName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'sesame'}-recovery-codes.txt`,
  });
}
