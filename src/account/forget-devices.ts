import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { InvalidRequest } from '../http/errors.ts';
import type { AccountDeps } from './account-deps.ts';

const HANDLE = /^[A-Za-z0-9_-]{43}$/;

/** POST /account/devices/forget — `device` is one remembered browser's handle, or "all". */
export function createForgetDevices({ secondFactor, audit }: Pick<AccountDeps, 'secondFactor' | 'audit'>) {
  return async function forgetDevices(ctx: Context) {
    const account: Account = ctx.state.account;
    const device: string = ctx.state.form.device ?? '';
    if (device === 'all') {
      await secondFactor.devices.forgetAll(account.id);
      audit.record({ event: 'remembered_browser.forgotten', accountId: account.id, which: 'all' });
      ctx.status = 303;
      return ctx.redirect('/account?done=devices-forgotten');
    }
    if (!HANDLE.test(device)) throw new InvalidRequest({ key: 'account.browsers.error.choose' });
    // Handles only ever name records under this account's key, so another person's cannot be touched.
    await secondFactor.devices.forget(account.id, device);
    audit.record({ event: 'remembered_browser.forgotten', accountId: account.id, which: 'one' });
    ctx.status = 303;
    ctx.redirect('/account?done=device-forgotten');
  };
}
