import { displayText } from '../http/display-text.ts';
import { DEVICE_CODE_GRANT_TYPE } from '../device-flow/poll-interval.ts';
import { nearMissOf } from './redirect-uri-mismatch.ts';

/**
 * What Sesame tells an app's developer when oidc-provider refuses one of the app's requests: the
 * `error` and `error_description` of RFC 6749 section 4.1.2.1 and section 5.2, whose description is "used to
 * assist the client developer". The library's own descriptions are kept where they already say
 * what to change; the ones here replace those that mislead ("openid scope must be requested for
 * clients with require_auth_time": require_auth_time is a default of Sesame's, not something the
 * app set), that say nothing the developer can act on ("grant request is invalid" for a wrong
 * code_verifier, a used code and an expired one alike), or that leave out the value the app sent
 * and the values Sesame takes. Nothing here decides whether a request fails, nor where the answer
 * goes (redirect or page): only what it says.
 */
export interface ProviderErrorFacts {
  /** The library's `error` and `error_description`, and its `error_detail` (never sent by the library itself). */
  error: string;
  description: string | undefined;
  detail: string | undefined;
  /** The parameters of the request as the app sent them. */
  params: Readonly<Record<string, unknown>>;
  /** The app, when the request named a registered one. */
  client: RegisteredClientFacts | undefined;
  /** invalid_scope: the scope the library refused. */
  scope?: string | undefined;
}

export interface RegisteredClientFacts {
  clientId: string;
  clientAuthMethod: string;
  redirectUris?: readonly string[] | undefined;
  postLogoutRedirectUris?: readonly string[] | undefined;
  grantTypes?: readonly string[] | undefined;
  scope?: string | undefined;
}

export interface ExplainedError {
  error: string;
  description: string;
}

export interface ExplanationSettings {
  /** The prompt values the provider takes (`none` and its interaction policy's prompts). */
  prompts: readonly string[];
  authorizationCodeSeconds: number;
}

/** The scopes an app asks for besides `openid` (README, "Connect a relying party"). */
const OTHER_SCOPES = 'email, profile and offline_access as the app needs';
const RESPONSE_MODES = 'query (the default for response_type=code), form_post or fragment';

/** An error of the authorization endpoint, wherever it is shown (the app's redirect_uri or Sesame's page). Undefined: the library's words stand. */
export function explainAuthorizationError({ error, description, params, client, scope }: ProviderErrorFacts, settings: ExplanationSettings): ExplainedError | undefined {
  const sent = (name: string) => quoted(params[name]);
  switch (error) {
    case 'invalid_client':
      return typeof params.client_id === 'string' ? { error, description: `client_id ${sent('client_id')} is not registered with this Sesame: check it against the clients file (CLIENTS_FILE)` } : undefined;
    case 'invalid_redirect_uri':
      return explainRedirectUri(params, client);
    case 'unsupported_response_type':
      return { error, description: `response_type must be code (got ${sent('response_type')}): Sesame supports the authorization code flow (with PKCE) only, and the tokens come from the token endpoint` };
    case 'unsupported_response_mode':
      return { error, description: `response_mode ${sent('response_mode')} is not supported: use ${RESPONSE_MODES}` };
    case 'request_not_supported':
      return { error, description: 'request objects (the request parameter) are not supported: send the parameters in the query string' };
    case 'request_uri_not_supported':
      return { error, description: "request_uri is taken only as returned by Sesame's pushed authorization request endpoint: send the parameters in the query string, or push them there first" };
    case 'registration_not_supported':
      return { error, description: "the registration parameter is not supported: apps are registered in Sesame's clients file" };
    case 'invalid_scope':
      if (description === 'requested scope is not allowed' && client?.scope) {
        return { error, description: `scope ${quoted(scope)} is not registered for this app, whose scope is ${quoted(client.scope)}: ask only for those, or add it to the app's scope in the clients file` };
      }
      return undefined;
    case 'invalid_request':
      return explainInvalidAuthorizationRequest(description, params, client, settings);
    default:
      return undefined;
  }
}

function explainInvalidAuthorizationRequest(description: string | undefined, params: ProviderErrorFacts['params'], client: RegisteredClientFacts | undefined, settings: ExplanationSettings): ExplainedError | undefined {
  const sent = (name: string) => quoted(params[name]);
  // The library names whichever of its reasons to want openid it checked first; for Sesame every
  // app's request must have it (clientDefaults require_auth_time), so that is what to say.
  if (description?.startsWith('openid scope must be requested')) {
    if (typeof params.scope !== 'string' || params.scope.trim() === '') {
      return { error: 'invalid_request', description: `scope is missing: send scope=openid, with ${OTHER_SCOPES} (Sesame is an OpenID Connect provider: every request asks for openid)` };
    }
    // RFC 6749 section 4.1.2.1: the scope is there, but not one Sesame can serve.
    return { error: 'invalid_scope', description: `scope must include openid (got ${sent('scope')}): Sesame is an OpenID Connect provider, so every request asks for openid, with ${OTHER_SCOPES}` };
  }
  switch (description) {
    case 'Authorization Server policy requires PKCE to be used for this request':
      return {
        error: 'invalid_request',
        description: `code_challenge is missing: ${client?.clientAuthMethod === 'none' ? 'this app is a public client (token_endpoint_auth_method none), so it' : 'this app'} must use PKCE: send code_challenge = BASE64URL(SHA-256(code_verifier)) with code_challenge_method=S256, and the code_verifier to the token endpoint`,
      };
    case 'not supported value of code_challenge_method':
      return { error: 'invalid_request', description: `code_challenge_method must be S256 (got ${sent('code_challenge_method')}): Sesame supports no other method` };
    case 'code_challenge_method must be provided':
      return { error: 'invalid_request', description: 'code_challenge_method is missing: send code_challenge_method=S256 with the code_challenge (Sesame supports S256 only)' };
    case 'unsupported prompt value requested': {
      const unsupported = words(params.prompt).filter((value) => !settings.prompts.includes(value));
      return { error: 'invalid_request', description: `prompt ${quoted(unsupported.join(' '))} is not supported: Sesame takes ${listed(settings.prompts)} (none alone)` };
    }
    case 'invalid max_age parameter value':
      return { error: 'invalid_request', description: `max_age must be a whole number of seconds, 0 or more (got ${sent('max_age')})` };
    case 'could not validate id_token_hint':
      return { error: 'invalid_request', description: 'id_token_hint is not an ID token this Sesame issued to this app (its signature, iss and aud are checked; an expired one is accepted): send one the app received from this Sesame, unchanged, or leave id_token_hint out' };
    default:
      return undefined;
  }
}

function explainRedirectUri(params: ProviderErrorFacts['params'], client: RegisteredClientFacts | undefined): ExplainedError | undefined {
  if (typeof params.redirect_uri !== 'string' || !client) return undefined;
  const registered = client.redirectUris ?? [];
  if (registered.length === 0) {
    return { error: 'invalid_redirect_uri', description: `client_id ${quoted(client.clientId)} has no redirect_uris (its grant_types: ${listed(client.grantTypes ?? [])}), so it cannot send anyone to sign in` };
  }
  const nearMiss = nearMissOf(params.redirect_uri, registered);
  return {
    error: 'invalid_redirect_uri',
    description: `redirect_uri ${quoted(params.redirect_uri)} is not registered for client_id ${quoted(client.clientId)}: it must equal one of the app's redirect_uris character for character${nearMiss ? `, and ${nearMiss}` : ''}`,
  };
}

/** An error of the device authorization endpoint (RFC 8628 section 3.2, JSON). Undefined: the library's words stand. */
export function explainDeviceAuthorizationError(facts: ProviderErrorFacts, settings: ExplanationSettings): ExplainedError | undefined {
  const { error, description, detail, params, client } = facts;
  if (error === 'invalid_client') return explainClientAuthentication(detail, client);
  if (error !== 'invalid_request') return undefined;
  // RFC 6749 section 5.2 (which RFC 8628 section 3.2 refers to) has a code for a client "not
  // authorized to use this authorization grant type": unauthorized_client, where the library says
  // invalid_request.
  if (description === `${DEVICE_CODE_GRANT_TYPE} is not allowed for this client`) {
    return { error: 'unauthorized_client', description: `client_id ${quoted(client?.clientId ?? params.client_id)} is not registered for the device flow: add "${DEVICE_CODE_GRANT_TYPE}" to its grant_types in the clients file` };
  }
  return explainInvalidAuthorizationRequest(description, params, client, settings);
}

/** An error of the token endpoint, and the client authentication of introspection and revocation (JSON). Undefined: the library's words stand. */
export function explainTokenError({ error, detail, params, client }: ProviderErrorFacts, settings: ExplanationSettings): ExplainedError | undefined {
  if (error === 'invalid_client') return explainClientAuthentication(detail, client);
  if (error !== 'invalid_grant' || detail === undefined) return undefined;
  const code = settings.authorizationCodeSeconds;
  const again = 'start a new sign-in';
  switch (detail) {
    case 'authorization code not found':
      return { error, description: `the authorization code is not valid: it is unknown, has expired (a code lasts ${code} seconds) or was revoked; ${again}` };
    case 'authorization code is expired':
      return { error, description: `the authorization code has expired (a code lasts ${code} seconds): exchange it as soon as the browser comes back, or ${again}` };
    case 'authorization code already consumed':
      return { error, description: `the authorization code was already used: a code works once, and using it again revokes the tokens issued for it (RFC 6749 section 4.1.2); ${again}` };
    case 'authorization code redirect_uri mismatch':
      return { error, description: `redirect_uri ${quoted(params.redirect_uri)} is not the one the authorization request sent: send the same redirect_uri to both endpoints` };
    case 'client mismatch':
      return { error, description: 'the authorization code, device code or refresh token was issued to another client_id' };
    case 'device code not found':
      return { error, description: 'the device code is not valid: it is unknown, or expired more than an hour ago; start again at the device authorization endpoint' };
    case 'device code already consumed':
      return { error, description: 'the device code was already used: it gives tokens once, and using it again revokes the tokens it gave (as for an authorization code, RFC 6749 section 4.1.2); start again at the device authorization endpoint' };
    case 'code_verifier does not match code_challenge':
      return { error, description: 'code_verifier does not match the code_challenge of the authorization request: send the code_verifier that code_challenge was made from (S256), the one kept for this sign-in' };
    case 'code_verifier must be provided':
      return { error, description: 'code_verifier is missing: the authorization request sent a code_challenge, so the token request must send its code_verifier' };
    case 'grant not found':
    case 'grant is expired':
      return { error, description: `this sign-in to the app has ended (the person signed out, or it was revoked or expired); ${again}` };
    case 'refresh token not found':
    case 'refresh token is expired':
      return { error, description: `the refresh token is not valid: it is unknown, has expired or was revoked (the person signed out); ${again}` };
    case 'refresh token already used':
      return { error, description: `the refresh token was already used: this app's refresh tokens rotate, each works once, and using one again ends the sign-in (RFC 9700 section 4.14.2); ${again}` };
    default:
      // Sesame's findAccount finds no account for a token after a sign-out everywhere, a removal of
      // this app's access or a change of address too, not only when the account is gone: an app
      // must not read this as "delete the person's data".
      if (/invalid \(referenced account not found\)$/.test(detail)) return { error, description: `this sign-in has ended (the person signed out everywhere, removed this app's access, or the account was changed or removed); ${again}` };
      return undefined;
  }
}

function explainClientAuthentication(detail: string | undefined, client: RegisteredClientFacts | undefined): ExplainedError | undefined {
  switch (detail) {
    case 'client not found':
      return { error: 'invalid_client', description: 'client authentication failed: no app is registered with this client_id' };
    case 'invalid secret provided':
      return { error: 'invalid_client', description: "client authentication failed: the client_secret is not this app's" };
    case 'the provided authentication mechanism does not match the registered client authentication method':
      if (!client) return undefined;
      return { error: 'invalid_client', description: `client authentication failed: this app is registered with token_endpoint_auth_method ${quoted(client.clientAuthMethod)}, so ${howToAuthenticate(client.clientAuthMethod)}` };
    default:
      return undefined;
  }
}

function howToAuthenticate(method: string): string {
  switch (method) {
    case 'client_secret_basic':
    case 'client_secret_post':
      return 'send its client_id and client_secret (HTTP Basic, or the client_id and client_secret form fields)';
    case 'none':
      return 'send its client_id alone, no secret, and the code_verifier (PKCE)';
    default:
      return 'authenticate with that method';
  }
}

/** An error of the logout endpoint (RP-Initiated Logout), shown on Sesame's page. Undefined: the library's words stand. */
export function explainSignOutError({ description, params, client }: ProviderErrorFacts): ExplainedError | undefined {
  if (description === 'post_logout_redirect_uri not registered' && client && typeof params.post_logout_redirect_uri === 'string') {
    const nearMiss = nearMissOf(params.post_logout_redirect_uri, client.postLogoutRedirectUris ?? []);
    return {
      error: 'invalid_request',
      description: `post_logout_redirect_uri ${quoted(params.post_logout_redirect_uri)} is not registered for client_id ${quoted(client.clientId)}: it must equal one of the app's post_logout_redirect_uris character for character${nearMiss ? `, and ${nearMiss}` : ''}`,
    };
  }
  if (description === 'client is invalid' && typeof params.client_id === 'string') {
    return { error: 'invalid_client', description: `client_id ${quoted(params.client_id)} is not registered with this Sesame` };
  }
  return undefined;
}

/**
 * A value the app sent, as one short line in single quotes. error_description may hold only
 * printable ASCII without `"` and `\` (RFC 6749 section 4.1.2.1), so anything else becomes `?`;
 * it also goes onto a page, escaped there.
 */
function quoted(value: unknown): string {
  if (typeof value !== 'string') return 'nothing';
  const text = displayText(value, 120).replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '?');
  return `'${text}${[...value].length > 120 ? '...' : ''}'`;
}

function words(value: unknown): string[] {
  return typeof value === 'string' ? value.split(' ').filter(Boolean) : [];
}

/** `a`, `a and b`, `a, b and c`. */
export function listed(values: readonly string[]): string {
  if (values.length <= 1) return values.join('');
  return `${values.slice(0, -1).join(', ')} and ${values.at(-1)}`;
}
