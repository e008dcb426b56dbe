import type { Context } from 'koa';
import { HttpError } from '../http/errors.ts';
import { ACR_EMAIL, AMR_EMAIL } from '../oidc/acr.ts';
import type { InteractionDeps } from './interaction-deps.ts';

/**
 * The only place a login is handed to oidc-provider. Called once the email is proven, in the
 * browser that holds the interaction cookie. With open sign-up the account is created here, on
 * the first verified address.
 */
export function createFinishLogin({ provider, accounts, config, logger }: Pick<InteractionDeps, 'provider' | 'accounts' | 'config' | 'logger'>) {
  return async function finishLogin(ctx: Context, email: string) {
    let account = await accounts.findByEmail(email);
    if (!account) {
      if (config.signup === 'closed') {
        throw new HttpError(403, 'access_denied', 'You can’t sign in here', 'This service only lets in people who have been invited. Ask its administrator for access.');
      }
      account = (await accounts.create(email, { verified: true })).account;
      logger.info({ accountId: account.id }, 'account created on first verified sign-in');
    } else if (!account.emailVerifiedAt) {
      account = await accounts.markVerified(account);
    }
    const returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { login: { accountId: account.id, acr: ACR_EMAIL, amr: [AMR_EMAIL], remember: true } },
      { mergeWithLastSubmission: false },
    );
    ctx.status = 303;
    ctx.redirect(returnTo);
  };
}

export type FinishLogin = ReturnType<typeof createFinishLogin>;
