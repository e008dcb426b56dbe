import type { Context, Next } from 'koa';
import { localeToRemember, type Account } from '../accounts/accounts.ts';
import { translatorOf } from '../i18n/page-language.ts';
import type { AccountDeps } from './account-deps.ts';

/**
 * After an account page's form is accepted: the language the page spoke becomes the account's
 * (Account.locale), so that the mail no page precedes (an administrator's notices) speaks it too.
 * Written only when it changed: a form sent in the account's usual language costs nothing more.
 */
export function rememberPageLanguage({ accounts }: Pick<AccountDeps, 'accounts'>) {
  return async function rememberLanguage(ctx: Context, next: Next) {
    const account: Account = ctx.state.account;
    const locale = localeToRemember(account, translatorOf(ctx).locale);
    if (locale) ctx.state.account = (await accounts.setLocale(account.id, locale)) ?? account;
    return next();
  };
}
