import { errors as oidcErrors, type Configuration } from 'oidc-provider';

type ExtraTokenClaims = NonNullable<Configuration['extraTokenClaims']>;

/**
 * A machine's token (client_credentials) stands for no person: it carries no identity scope.
 *
 * The library puts into such a token the identity scopes the machine asks for (openid, email,
 * profile, offline_access: Sesame's `scopes`), unless the client registered a narrower `scope`; a
 * word it does not know it drops. Userinfo refused the token (no subject), but introspection
 * answered `scope: "openid email"` to a resource server that reads the scope to decide what the
 * caller may do. Sesame defines no resource scopes (no resource server is registered, every
 * `resource` is refused with invalid_target, and a client may register only the identity
 * scopes), so a client_credentials token that would carry any scope is refused with
 * invalid_scope, and nothing is saved.
 *
 * The library offers no hook between its reading of the request and its making of the token but
 * extraTokenClaims, which it calls while saving, before anything is written: the token's scope
 * there is the one it would carry. A machine client that registers a `scope` is refused at
 * start-up (config/config-schema.ts).
 */
export const refuseScopeOnMachineTokens: ExtraTokenClaims = async (_ctx, token) => {
  if (token.kind === 'ClientCredentials' && token.scope) {
    throw new oidcErrors.InvalidScope(`a client_credentials token stands for no person, so it carries none of the identity scopes (openid, email, profile, offline_access), and Sesame defines no others: send the request without scope (got "${token.scope}")`, token.scope);
  }
  return undefined;
};
