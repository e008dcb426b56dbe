import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

const { Check } = interactionPolicy;

/**
 * A check Sesame adds to the login prompt, answering an app's silent sign-in (prompt=none) as
 * oidc-provider answers a browser not signed in at all: `login_required`, "End-User
 * authentication is required". A check added after the library made the prompt has no error of its
 * own (it would be interaction_required, described by the check's own words), and those words
 * told the app what it should not learn: that the browser holds an account, that its account was
 * removed, that it has no authenticator, or that its address is at another domain. The app needs
 * only to know that the person must sign in.
 */
export function loginCheck(reason: string, check: (ctx: KoaContextWithOIDC) => boolean | Promise<boolean>): interactionPolicy.Check {
  return new Check(reason, 'End-User authentication is required', 'login_required', check);
}
