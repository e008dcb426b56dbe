import type Koa from 'koa';
import { errors as oidcErrors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { CLIENT_MFA_POLICIES, type ClientMfaPolicy, type ClientRegistration, type Config } from '../config/config-schema.ts';
import type { CookieKeys } from '../http/cookie-keys.ts';
import { SignInExpired } from '../http/errors.ts';
import { backToApp } from '../interaction/app-address.ts';
import type { MailQueue } from '../mail/mail-queue.ts';
import { clientDisplayName } from '../interaction/client-name.ts';
import { registeredClients } from './registered-clients.ts';
import { ACR_EMAIL, ACR_MFA } from './acr.ts';
import { loadExistingGrant } from './implied-grant.ts';
import { sessionAccountGone } from './session-account-gone.ts';
import { addressOutsideAppDomains } from './address-outside-app-domains.ts';
import { sessionCookieName } from './session-cookie.ts';
import { essentialAcrUnmet } from './essential-acr-unmet.ts';
import { enrolmentNeedsRecentSignIn } from './enrolment-needs-recent-sign-in.ts';
import { nativeClientPromptOutsideDeviceFlow } from './native-client-prompt.ts';
import { deviceFreshSignIn } from './device-fresh-sign-in.ts';
import { deviceAnotherAccount } from './device-another-account.ts';
import { claimsWithinClientScope } from './claims-within-client-scope.ts';
import { CLAIMS_BY_SCOPE } from './claims-by-scope.ts';
import { carrySignInTime } from './access-token-sign-in.ts';
import { refuseScopeOnMachineTokens } from './machine-token-scope.ts';
import { rotatesRefreshTokens } from './refresh-token-rotation.ts';
import { cookiesAreSecure } from '../http/secure-cookies.ts';
import { registeredOutboundFetch } from './registered-outbound-fetch.ts';
import { clientTokenCutoffs, issuedBeforeCutoff } from './client-token-cutoff.ts';
import { explainAuthorizationError, explainSignOutError, type ExplanationSettings } from './error-explanations.ts';
import { errorFacts } from './explain-errors.ts';
import { SUPPORTED_LOCALES } from '../i18n/locales.ts';
import type { MessageKey } from '../i18n/catalogue.ts';
import { speakLanguage, translatorOf } from '../i18n/page-language.ts';
import { localeOfUiLocales } from '../i18n/negotiate-locale.ts';
import { translatorFor } from '../i18n/translate.ts';
import { nextStepIn, type NextStep } from '../http/next-step.ts';
import { rememberSignInLocale } from '../i18n/sign-in-language.ts';
import { requestStillRegistered } from './request-still-registered.ts';
import { deviceFlowPages } from '../device-flow/device-pages.ts';
import { USER_CODE_CHARSET, USER_CODE_MASK } from '../device-flow/user-codes.ts';

export interface ProviderHooks {
  adapter: NonNullable<Configuration['adapter']>;
  findAccount: NonNullable<Configuration['findAccount']>;
  renderPage: (ctx: KoaContextWithOIDC, view: string, locals: Record<string, unknown>) => Promise<void>;
  /** The step-up prompt (oidc/mfa-prompt.ts), placed between login and consent. */
  mfaPrompt: interactionPolicy.Prompt;
  /** Signs the provider's cookies; the same object signs Koa's (app.keys), so both read each other's. */
  cookieKeys: CookieKeys;
  /** Where logout tokens for the apps go (oidc/queued-back-channel-logout.ts): the durable queue the mail worker sends from. */
  backChannelLogouts: Pick<MailQueue, 'enqueue'>;
}

/** The scopes the provider knows (the claims they release: oidc/claims-by-scope.ts). */
const SCOPES = ['openid', 'email', 'profile', 'offline_access'] as const;

/**
 * The interaction policy: the library's login and consent, Sesame's checks in login, the step-up
 * prompt between them, and the consent's native-app check left out of the device flow.
 */
function sesamePolicy(config: Readonly<Config>, mfaPrompt: interactionPolicy.Prompt) {
  const policy = interactionPolicy.base();
  const login = policy.get('login')!;
  login.checks.unshift(requestStillRegistered(SCOPES));
  login.checks.splice(login.checks.findIndex((check) => check.reason === 'no_session') + 1, 0, sessionAccountGone, deviceFreshSignIn, deviceAnotherAccount, addressOutsideAppDomains, enrolmentNeedsRecentSignIn(config.accountArea.freshSecondFactorSeconds), essentialAcrUnmet);
  policy.add(mfaPrompt, policy.findIndex((prompt) => prompt.name === 'login') + 1);
  const consent = policy.get('consent')!;
  const nativeCheck = consent.checks.findIndex((check) => check.reason === 'native_client_prompt');
  // A release that renames the check fails at start-up here, not by asking native device apps twice.
  if (nativeCheck === -1) throw new Error('oidc-provider\'s consent prompt has no native_client_prompt check');
  consent.checks.splice(nativeCheck, 1, nativeClientPromptOutsideDeviceFlow(consent.checks[nativeCheck]!));
  return policy;
}

/** What the explanations of the apps' mistakes (oidc/error-explanations.ts) name: the prompt values taken, the code lifetime. */
export function errorExplanationSettings(config: Readonly<Config>, mfaPrompt: interactionPolicy.Prompt): ExplanationSettings {
  return { prompts: ['none', ...sesamePolicy(config, mfaPrompt).map((prompt) => prompt.name)], authorizationCodeSeconds: config.ttl.authorizationCodeSeconds };
}

/** oidc-provider configuration derived from Sesame's Config; no I/O here. */
export function providerConfig(config: Readonly<Config>, { adapter, findAccount, renderPage, mfaPrompt, cookieKeys }: ProviderHooks): Configuration {
  const secureCookies = cookiesAreSecure(config.issuer);
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure: secureCookies };
  const policy = sesamePolicy(config, mfaPrompt);
  const explanations = errorExplanationSettings(config, mfaPrompt);
  const tokenCutoffOf = clientTokenCutoffs(config.clients);
  const registeredClientIds = new Set(registeredClients(config).map((client) => client.client_id));

  return {
    adapter,
    findAccount,
    clients: registeredClients(config).map((client) => ({ ...client })) as Configuration['clients'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
      require_auth_time: true,
    },
    extraClientMetadata: {
      properties: ['first_party', 'consent_page', 'resource_server', 'mfa', 'remember_device', 'rotate_refresh_tokens', 'tokens_not_before', 'allowed_email_domains'],
      validator(_ctx, key, value) {
        if (value === undefined) return;
        if (key === 'tokens_not_before') {
          // Checked in full with the clients file (config-schema.ts).
          if (typeof value !== 'string') throw new TypeError('tokens_not_before must be an ISO 8601 instant');
        } else if (key === 'allowed_email_domains') {
          // Checked in full with the clients file (config-schema.ts).
          if (!Array.isArray(value)) throw new TypeError('allowed_email_domains must be an array of domains');
        } else if (key === 'mfa') {
          if (!CLIENT_MFA_POLICIES.includes(value as ClientMfaPolicy)) throw new TypeError('mfa must be "off", "optional" or "required"');
        } else if (typeof value !== 'boolean') {
          throw new TypeError(`${key} must be a boolean`);
        }
      },
    },
    jwks: config.jwks as Configuration['jwks'],
    cookies: {
      keys: cookieKeys as unknown as NonNullable<Configuration['cookies']>['keys'],
      // lax: the session cookie must ride along on the top-level redirect back from an app's link,
      // while cross-site POSTs and embedded frames never carry it.
      long: cookieOptions,
      short: cookieOptions,
      // The interaction cookies keep their names: they are scoped to /interaction/:uid and
      // /auth/:uid, and `__Host-` requires Path=/.
      names: { session: sessionCookieName(secureCookies), interaction: '_interaction', resume: '_interaction_resume' },
    },
    scopes: [...SCOPES],
    claims: CLAIMS_BY_SCOPE,
    // A client_credentials token carries no scope (oidc/machine-token-scope.ts); an access token
    // carries the time of its sign-in (oidc/access-token-sign-in.ts).
    extraTokenClaims: async (ctx, token) => (await refuseScopeOnMachineTokens(ctx, token)) ?? carrySignInTime(ctx, token),
    // Put scope claims (email) into the ID token too: many apps (Auth.js, mod_auth_openidc) read it only.
    conformIdTokenClaims: false,
    acrValues: [ACR_EMAIL, ACR_MFA],
    pkce: {
      // RFC 9700 §2.1.1: PKCE with S256 for public clients; confidential clients may use it too.
      required: (_ctx, client) => client.clientAuthMethod === 'none',
    },
    responseTypes: ['code'],
    // OpenID Connect Discovery §3: the languages `ui_locales` can choose (i18n/locales.ts).
    discovery: { ui_locales_supported: [...SUPPORTED_LOCALES] },
    // OpenID Connect Core §3.1.2.1 makes redirect_uri REQUIRED, so an app must always name it.
    // Also avoids a crash in oidc-provider 9.13.3: with this fallback on, a failed resume
    // (/auth/:uid?client_id=… without its cookie) made authorization_error_handler.js call
    // oneRedirectUriClients with ctx.oidc.params undefined, a TypeError and a 500.
    allowOmittingSingleRegisteredRedirectUri: false,
    rotateRefreshToken: rotatesRefreshTokens,
    ttl: {
      AccessToken: config.ttl.accessTokenSeconds,
      AuthorizationCode: config.ttl.authorizationCodeSeconds,
      ClientCredentials: config.ttl.accessTokenSeconds,
      IdToken: config.ttl.idTokenSeconds,
      // Also where a sign-in's language is chosen and kept (i18n/sign-in-language.ts): the one
      // hook that sees the interaction before it is saved.
      Interaction: (ctx, interaction) => {
        rememberSignInLocale(ctx, interaction);
        return config.ttl.interactionSeconds;
      },
      RefreshToken: config.ttl.refreshTokenSeconds,
      // A session that never signed in holds only a form's xsrf secret (the device page's, the
      // sign-out confirmation's), and a GET of /device makes one for anyone: kept as long as a
      // sign-in may take, not for the weeks of a signed-in session.
      Session: (_ctx, session) => (session.accountId ? config.ttl.sessionSeconds : config.ttl.interactionSeconds),
      // Every refresh checks its grant's expiry: the grant must outlive the refresh tokens.
      Grant: config.ttl.grantSeconds,
      DeviceCode: config.deviceFlow.userCodeSeconds,
    },
    features: {
      devInteractions: { enabled: false },
      // Signing keys are InProcessSigningKeys (signing-keys/in-process-signing-key.ts): node:crypto
      // signs, without jose's trip through WebCrypto. The ack names the version of this
      // experimental feature; a release that changes it fails at start-up, never at signing time.
      externalSigningSupport: { enabled: true, ack: 'experimental-01' },
      // A client may revoke or introspect only its own tokens; a resource server registered with
      // `resource_server: true` may introspect any.
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      introspection: {
        enabled: true,
        async allowedPolicy(ctx, client, token) {
          if (token.clientId !== client.clientId && client.metadata().resource_server !== true) return false;
          // The token of an app no longer registered (removed from the clients file) is not active:
          // the library would go on to read that app's registration and fail on its absence (a 500).
          if (!registeredClientIds.has(token.clientId ?? '')) return false;
          // Userinfo and the token endpoint refuse a token whose account was removed; so does this
          // (the library does not look the account up here). Read with the token, so no extra trip.
          // A machine's token (client_credentials) has no account: only its app's cutoff applies.
          if (!('accountId' in token) || !token.accountId) return !issuedBeforeCutoff(tokenCutoffOf(token.clientId), token.iat);
          return (await findAccount(ctx, token.accountId, token)) !== undefined;
        },
      },
      userinfo: { enabled: true },
      clientCredentials: { enabled: true },
      // The device authorization grant (RFC 8628), for apps registered with its grant type: a TV
      // or a command-line tool shows a user code, its person signs in at /device on a phone or
      // laptop. The pages are Sesame's (device-flow/); the device polls the token endpoint.
      deviceFlow: {
        enabled: true,
        charset: USER_CODE_CHARSET,
        mask: USER_CODE_MASK,
        // The library would keep the device's IP address and user agent with its code, to show on
        // the confirmation page: not kept, since a guessed code would show a stranger's address.
        deviceInfo: () => ({}),
        ...deviceFlowPages(renderPage, findAccount, { secureCookies }),
      },
      // Only claims of the scopes the app registered (oidc/claims-within-client-scope.ts).
      claimsParameter: { enabled: true, assertClaimsParameter: claimsWithinClientScope(CLAIMS_BY_SCOPE) },
      // Sesame's access tokens are for its own userinfo only: no `resource` (RFC 8707) names a
      // server of Sesame's, so every one is refused with invalid_target, as the library's default
      // does too, but that default also prints "you MUST change it" on stderr, outside the JSON
      // log, for anyone who adds `resource=` to a request.
      resourceIndicators: {
        enabled: true,
        async getResourceServerInfo() {
          throw new oidcErrors.InvalidTarget();
        },
      },
      // Signing out of Sesame tells every app of the session that registered a
      // `backchannel_logout_uri` (OpenID Connect Back-Channel Logout 1.0); "only sign out of <app>"
      // tells that app alone. The tokens go on the mail queue (oidc/queued-back-channel-logout.ts),
      // so the signed-out page waits for no app (the library's own call waited up to 2.5 s apiece).
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          await renderPage(ctx, 'logout', { form, clientName: ctx.oidc.client && clientDisplayName(ctx.oidc.client.clientName ?? ctx.oidc.client.clientId) });
        },
        async postLogoutSuccessSource(ctx) {
          // The library sets no status here: without this the page went out as Koa's default 404.
          ctx.status = 200;
          // The library names the app only when the person chose "Only sign out of <app>": then only
          // that app's sign-in ended, and Sesame's session in this browser goes on.
          const client = ctx.oidc.client;
          await renderPage(ctx, 'logged-out', { clientName: client && clientDisplayName(client.clientName ?? client.clientId), stillSignedIn: client !== undefined, backToApp: nextStepFor(ctx, backToApp(client, { homeOnly: true })) });
        },
      },
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      policy,
    },
    // First-party apps, and apps whose consent the sign-in page already asked: no consent page.
    loadExistingGrant,
    // Which web origins may call the token, userinfo, revocation and introspection endpoints from
    // a browser (CORS). Chosen deliberately (oidc-provider's default is the same, with a notice):
    // only public clients (SPAs, which have no secret to lose) and userinfo calls, and only from an
    // origin of the client's own redirect_uris; never the opaque origin "null".
    clientBasedCORS(ctx, origin, client) {
      if (origin === 'null') return false;
      if (ctx.oidc.route !== 'userinfo' && client.clientAuthMethod !== 'none') return false;
      return (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin);
    },
    async renderError(ctx, out, error) {
      const signingOut = ctx.oidc?.route?.startsWith('end_session') === true;
      const unavailable = ctx.status === 503;
      // Resuming a sign-in this browser no longer holds (/auth/:uid: the back button after it
      // finished, a second tab): the same page as for the interaction's own pages.
      const ended = error instanceof oidcErrors.SessionNotFound && !signingOut ? new SignInExpired() : undefined;
      // The app's mistake, in words for its developer, below the words for the person it sent here.
      const explainable = !unavailable && !ended && out.error !== 'server_error';
      const facts = errorFacts(ctx, { ...(error as object), error: out.error, error_description: out.error_description });
      const explained = explainable ? (signingOut ? explainSignOutError(facts) : explainAuthorizationError(facts, explanations)) : undefined;
      const code = explained?.error ?? out.error;
      // A sign-in request's: the language it asked for, as its pages would have spoken
      // (i18n/sign-in-language.ts), else the browser's (its choice, else Accept-Language), as a sign-out's.
      const uiLocale = signingOut ? undefined : localeOfUiLocales((ctx.oidc?.params as { ui_locales?: unknown } | undefined)?.ui_locales);
      const translator = uiLocale ? translatorFor(uiLocale) : translatorOf(ctx);
      if (uiLocale) speakLanguage(ctx as unknown as Koa.Context, uiLocale);
      const { t } = translator;
      const nextStep = backToApp(ctx.oidc?.client);
      await renderPage(ctx, 'error', {
        // 503: Redis is unreachable (store/store-unavailable.ts); the request itself was fine.
        title: unavailable ? t('error.unavailable.title') : signingOut ? t('signOutError.title') : ended ? ended.titleIn(translator) : t('error.authRequest.title'),
        message: unavailable ? (out.error_description ?? t('error.authRequest.tryAgain')) : signingOut ? t(describeSignOutError(out.error_description)) : ended ? ended.messageIn(translator) : t(describeOidcError(code)),
        developerDetail: explainable ? (explained?.description ?? out.error_description) : undefined,
        code,
        requestId: ctx.state.requestId,
        // The app, when the request named a registered one; else the error page offers the account page.
        nextStep: nextStep && nextStepIn(nextStep, translator),
      });
    },
    fetch: registeredOutboundFetch(config.clients),
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'ES256', 'PS256'],
      userinfoSigningAlgValues: ['RS256', 'ES256', 'PS256'],
      introspectionSigningAlgValues: ['RS256', 'ES256', 'PS256'],
    },
  };
}

/** What the library says when an app's logout request or its confirmation fails, for the person who clicked (the developer's detail is shown below it). */
function describeSignOutError(description: string | undefined): MessageKey {
  switch (description) {
    case 'could not find logout details':
      return 'signOutError.used';
    case 'post_logout_redirect_uri not registered':
      return 'signOutError.unregistered';
    default:
      return 'signOutError.appMistake';
  }
}

/** An app's failed sign-in request, for the person it sent here: what happened and what to do. */
function describeOidcError(code: string | undefined): MessageKey {
  switch (code) {
    case 'invalid_client':
      return 'error.authRequest.invalidClient';
    case 'invalid_redirect_uri':
      return 'error.authRequest.invalidRedirectUri';
    default:
      return 'error.authRequest.appMistake';
  }
}

/** A next step in the words of the page's language. */
function nextStepFor(ctx: KoaContextWithOIDC, step: NextStep | undefined) {
  return step && nextStepIn(step, translatorOf(ctx as unknown as Koa.Context));
}
