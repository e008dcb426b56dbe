import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { DISPLAY_NAME_MAX_CHARACTERS, parseDisplayName, type DisplayNameProblem } from '../accounts/display-name.ts';
import { InvalidRequest } from '../http/errors.ts';
import type { AppWithAccess } from '../oidc/apps-with-access.ts';
import { translatorOf } from '../i18n/page-language.ts';
import type { MessageRef } from '../i18n/translate.ts';
import type { AccountDeps } from './account-deps.ts';

const PROBLEMS: Record<DisplayNameProblem, MessageRef> = {
  'too-long': { key: 'name.problem.tooLong', params: { max: DISPLAY_NAME_MAX_CHARACTERS } },
  unprintable: { key: 'name.problem.unprintable' },
};

type NamePageDeps = Pick<AccountDeps, 'appsWithAccess'>;

/**
 * Whether the app's grant releases the name: by the profile scope, or by the claim asked for
 * alone (the claims parameter), which the app may ask for again without being asked about it.
 */
const seesName = (app: AppWithAccess) => app.scopes.includes('profile') || app.claims.includes('name');

/**
 * The name form, with the apps that would see the name (seesName). An app may have been given
 * the profile scope before Sesame kept names, when it released nothing: the person learns here,
 * before saving, who gets the name.
 */
async function renderNamePage(ctx: Context, { appsWithAccess }: NamePageDeps, { value, error }: { value: string; error?: string }) {
  const account: Account = ctx.state.account;
  const apps = await appsWithAccess.list(account);
  await ctx.render('account-name', {
    value,
    hasName: account.name !== undefined,
    maxCharacters: DISPLAY_NAME_MAX_CHARACTERS,
    appsSeeingName: apps.filter(seesName).map((app) => app.name),
    error,
  });
}

/** GET /account/name — the form for the account's name. */
export function createShowNameForm(deps: NamePageDeps) {
  return async function showNameForm(ctx: Context) {
    const account: Account = ctx.state.account;
    await renderNamePage(ctx, deps, { value: account.name ?? '' });
  };
}

/**
 * POST /account/name — sets the name apps asking for the profile scope get (`name`), or removes it
 * when the field is left empty. A name proves nothing and unlocks nothing, so unlike the address it
 * needs no recent sign-in; apps see the new one at their next token or userinfo request.
 */
export function createChangeName(deps: NamePageDeps & Pick<AccountDeps, 'accounts' | 'audit'>) {
  const { accounts, audit } = deps;
  return async function changeName(ctx: Context) {
    const account: Account = ctx.state.account;
    const input: unknown = ctx.state.form.name;
    if (typeof input !== 'string') throw new InvalidRequest({ key: 'name.error.form' });
    const parsed = parseDisplayName(input);
    if (!parsed.ok) {
      ctx.status = 400;
      // The typed name is shown again as typed, to be corrected rather than typed anew; EJS escapes it.
      return renderNamePage(ctx, deps, { value: input.slice(0, DISPLAY_NAME_MAX_CHARACTERS * 4), error: translatorOf(ctx).say([PROBLEMS[parsed.problem]]) });
    }
    if (parsed.name !== account.name) {
      const updated = await accounts.setName(account.id, parsed.name);
      if (!updated) throw new InvalidRequest({ key: 'name.error.gone' });
      audit.record({ event: 'account.name_changed', accountId: account.id, named: parsed.name !== undefined });
    }
    ctx.status = 303;
    ctx.redirect(`/account?done=${parsed.name === undefined ? 'name-removed' : 'name-saved'}`);
  };
}
