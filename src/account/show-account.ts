import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { readDeviceCookie } from '../http/device-cookie.ts';
import { queryText } from '../http/outcome-query.ts';
import type { AccountDeps } from './account-deps.ts';

/** Confirmation notes after a redirect; fixed texts, so the query string cannot put words on the page. */
const NOTICES = {
  'totp-removed': 'The authenticator app was removed, with its recovery codes and remembered browsers.',
  'device-forgotten': 'That browser will be asked for a code again at its next sign-in.',
  'devices-forgotten': 'Every browser will be asked for a code again at its next sign-in.',
  'email-changed': 'Your email address was changed: sign in with the new one from now on. You were signed out everywhere else; apps get the new address when you next sign in to them.',
} as const;

/** GET /account — the email, the authenticator and its recovery codes, and remembered browsers. */
export function createShowAccount({ secondFactor }: Pick<AccountDeps, 'secondFactor'>) {
  return async function showAccount(ctx: Context) {
    const account: Account = ctx.state.account;
    const [recoveryCodesLeft, devices] = await Promise.all([
      account.totp ? secondFactor.recoveryCodes.remaining(account.id) : Promise.resolve(0),
      secondFactor.devices.list(account.id),
    ]);
    const thisDevice = readDeviceCookie(ctx);
    const thisHandle = secondFactor.devices.isDeviceId(thisDevice) ? secondFactor.devices.handleOf(thisDevice) : undefined;
    await ctx.render('account', {
      email: account.email,
      totp: account.totp,
      recoveryCodesLeft,
      devices: devices.map((device) => ({ ...device, current: device.handle === thisHandle })),
      notice: queryText(ctx, 'done', NOTICES),
    });
  };
}
