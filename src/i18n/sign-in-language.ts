import type { KoaContextWithOIDC } from 'oidc-provider';
import { isLocale, type Locale } from './locales.ts';
import { negotiateLocale } from './negotiate-locale.ts';

/**
 * The language of a sign-in, chosen once as it starts and kept in its interaction's stored
 * parameters under this name, so that every later page of it, its mail, and the link's page on
 * another device (whose Accept-Language may differ) all speak it. oidc-provider keeps `params` as
 * a whole with the interaction, and reads only the parameters it knows back from it on resume.
 */
export const SIGN_IN_LOCALE_PARAM = 'sesame_locale';

/**
 * Chooses and records the sign-in's language on the interaction oidc-provider is about to save
 * (configured as its `ttl.Interaction`, the one hook that sees the new interaction before its
 * single write: no round trip of its own). A sign-in that goes on in a new interaction (consent
 * after login) keeps the language of the one it resumed; a new one takes the app's `ui_locales`,
 * else the browser's Accept-Language. A device's sign-in (one with a device code) takes the
 * browser's alone, as the device pages before it did: the device's own `ui_locales` would switch
 * the person's pages to another language half-way.
 */
export function rememberSignInLocale(ctx: KoaContextWithOIDC, interaction: { params: Record<string, unknown>; deviceCode?: unknown }) {
  const resumed = (ctx.oidc?.entities as { Interaction?: { params?: Record<string, unknown> } } | undefined)?.Interaction?.params?.[SIGN_IN_LOCALE_PARAM];
  const uiLocales = interaction.deviceCode === undefined ? interaction.params.ui_locales : undefined;
  const locale = isLocale(resumed) ? resumed : negotiateLocale({ uiLocales, acceptLanguage: ctx.get('accept-language') });
  interaction.params[SIGN_IN_LOCALE_PARAM] = locale;
}

/** The language recorded on a stored interaction, if any (one begun before this was recorded has none). */
export function signInLocaleOf(interaction: unknown): Locale | undefined {
  const locale = (interaction as { params?: Record<string, unknown> } | undefined)?.params?.[SIGN_IN_LOCALE_PARAM];
  return isLocale(locale) ? locale : undefined;
}
