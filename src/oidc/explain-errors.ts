import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { explainAuthorizationError, explainDeviceAuthorizationError, explainTokenError, type ExplainedError, type ExplanationSettings, type ProviderErrorFacts, type RegisteredClientFacts } from './error-explanations.ts';

/** What oidc-provider's errors carry besides `error` and `error_description`. */
interface ProviderError {
  error?: string;
  message?: string;
  error_description?: string;
  error_detail?: string;
  scope?: string;
  expose?: boolean;
}

/**
 * The library answers an app's failed request itself, inside its route (redirect to the app,
 * form_post, or JSON), with its own words: nothing of Sesame's runs between its check and its
 * answer. Each of its error handlers then (token) or just before (authorization) emits the error
 * with the request's context, `error_detail` included, which the answer leaves out. This records
 * that error, and after the route puts Sesame's words (oidc/error-explanations.ts) into the
 * answer the library made: the same status, the same place (the registered redirect_uri it
 * chose, or the JSON body), the same response mode, only `error` and `error_description`
 * changed. Pages of the provider are written by renderError, which explains them itself.
 *
 * Middleware of the provider's own app (provider.use).
 */
export function explainErrorsToApps(provider: Provider, settings: ExplanationSettings) {
  const errorOfRequest = new WeakMap<object, ProviderError>();
  const remember = (ctx: object, error: unknown) => errorOfRequest.set(ctx, error as ProviderError);
  provider.on('authorization.error', remember);
  provider.on('grant.error', remember);
  provider.on('introspection.error', remember);
  provider.on('revocation.error', remember);
  provider.on('device_authorization.error', remember);

  return async function explainErrors(ctx: KoaContextWithOIDC, next: Next) {
    await next();
    const error = errorOfRequest.get(ctx);
    if (!error?.expose) return;
    const route = (ctx as { oidc?: KoaContextWithOIDC['oidc'] }).oidc?.route;
    if (route === 'authorization') {
      const explained = explainAuthorizationError(errorFacts(ctx, error), settings);
      if (explained) explainInRedirect(ctx, error, explained);
    } else if (route === 'token' || route === 'introspection' || route === 'revocation' || route === 'device_authorization') {
      const explained = route === 'device_authorization' ? explainDeviceAuthorizationError(errorFacts(ctx, error), settings) : explainTokenError(errorFacts(ctx, error), settings);
      const body = ctx.body as { error?: string } | undefined;
      if (explained && body?.error === error.error) ctx.body = { ...body, error: explained.error, error_description: explained.description };
    }
  };
}

/** What an explanation reads of a failed request: the library's error, the request's parameters as sent, and the app. */
export function errorFacts(ctx: Context | KoaContextWithOIDC, error: ProviderError): ProviderErrorFacts {
  const oidc = (ctx as { oidc?: KoaContextWithOIDC['oidc'] }).oidc;
  // The authorization endpoint takes GET only (oidc/browser-only-endpoints.ts): its query is the
  // request as the app sent it, before the library tidies `scope`. Elsewhere, the library's params.
  const params = oidc?.route === 'authorization' || !oidc?.params ? (ctx.query as Record<string, unknown>) : (oidc.params as Record<string, unknown>);
  return {
    error: error.error ?? error.message ?? 'invalid_request',
    description: error.error_description,
    detail: error.error_detail,
    scope: error.scope,
    params,
    client: oidc?.client as RegisteredClientFacts | undefined,
  };
}

/** Rewrites `error` and `error_description` in the answer the library sent to the app: query, fragment or form_post. */
function explainInRedirect(ctx: KoaContextWithOIDC, error: ProviderError, explained: ExplainedError) {
  const location = ctx.response.get('Location');
  if (location) {
    // Only the two fields change: the rest of the address (the app's registered redirect_uri with
    // its own query, state, iss) goes back byte for byte, as the library wrote it.
    const hashAt = location.indexOf('#');
    const beforeHash = hashAt < 0 ? location : location.slice(0, hashAt);
    const queryAt = beforeHash.indexOf('?');
    const query = queryAt < 0 ? '' : beforeHash.slice(queryAt + 1);
    const hash = hashAt < 0 ? '' : location.slice(hashAt + 1);
    const inQuery = new URLSearchParams(query).get('error') === error.error;
    if (!inQuery && new URLSearchParams(hash).get('error') !== error.error) return;
    const replaced = withFields(inQuery ? query : hash, { error: explained.error, error_description: explained.description });
    ctx.redirect(inQuery ? `${beforeHash.slice(0, queryAt)}?${replaced}${hashAt < 0 ? '' : location.slice(hashAt)}` : `${beforeHash}#${replaced}`);
    return;
  }
  // form_post: the library's self-submitting form, one hidden input per field.
  if (typeof ctx.body !== 'string') return;
  const input = (name: string) => new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"/>`);
  const errorInput = input('error').exec(ctx.body);
  if (!errorInput || errorInput[1] !== error.error) return;
  const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escapeAttribute(value)}"/>`;
  const descriptionInput = input('error_description');
  // Replacer functions: a `$` in the app's values must not be read as a replacement pattern.
  let body = descriptionInput.test(ctx.body)
    ? ctx.body.replace(descriptionInput, () => hidden('error_description', explained.description))
    : ctx.body.replace(errorInput[0], () => `${errorInput[0]}\n${hidden('error_description', explained.description)}`);
  body = body.replace(input('error'), () => hidden('error', explained.error));
  ctx.body = body;
}

/** `fields` (a query or fragment) with these names' values replaced (or added), every other pair left as it was written. */
function withFields(fields: string, values: Record<string, string>): string {
  const pending = new Map(Object.entries(values));
  const pairs = (fields === '' ? [] : fields.split('&')).map((pair) => {
    const raw = pair.split('=', 1)[0]!.replace(/\+/g, ' ');
    let name = raw;
    try {
      name = decodeURIComponent(raw);
    } catch {} // a name that is not valid percent-encoding is none of ours: kept as written
    const value = pending.get(name);
    if (value === undefined) return pair;
    pending.delete(name);
    return `${name}=${encodeURIComponent(value)}`;
  });
  for (const [name, value] of pending) pairs.push(`${name}=${encodeURIComponent(value)}`);
  return pairs.join('&');
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
