import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AuditLog } from '../observability/audit-log.ts';
import { DEVICE_DENIED_PAGE } from './device-pages.ts';

/**
 * A device refused at /device ("Don't allow", or "Cancel" during the sign-in "Allow" started)
 * writes `device.denied`: an operator looking into a device code sent to someone (RFC 8628 §5.4)
 * sees the refusals beside the sign-ins. oidc-provider emits no event for it (its AbortedError is
 * re-rendered, not reported): the refusal is the redirect to the denied page
 * (device-flow/device-pages.ts), made after the library read the code or the sign-in, which name
 * the app. Middleware of the provider's own app (provider.use), after the route.
 */
export function recordDeviceDenials(audit: Pick<AuditLog, 'record'>) {
  return async function recordDeviceDenial(ctx: KoaContextWithOIDC, next: () => Promise<unknown>) {
    await next();
    const { oidc } = ctx;
    if ((oidc?.route !== 'code_verification' && oidc?.route !== 'device_resume') || ctx.status !== 303 || ctx.response.get('Location') !== DEVICE_DENIED_PAGE) return;
    const entities = oidc.entities as { DeviceCode?: { clientId?: unknown }; Interaction?: { params?: { client_id?: unknown } } };
    const clientId = entities.DeviceCode?.clientId ?? entities.Interaction?.params?.client_id;
    if (typeof clientId !== 'string') return;
    const accountId = oidc.session?.accountId;
    audit.record({ event: 'device.denied', clientId, ...(accountId ? { accountId } : {}) });
  };
}
