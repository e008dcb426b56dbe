import type { KoaContextWithOIDC } from 'oidc-provider';
import { isLocale, type Locale } from './locales.ts';
import { chosenLocaleOf } from './language-cookie.ts';
import { localeOfUiLocales, negotiateLocale } from './negotiate-locale.ts';

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
 * else the language chosen in this browser (the footer's switch), else its Accept-Language. A
 * device's sign-in (one with a device code) takes the browser's alone, as the device pages before
 * it did: the device's own `ui_locales` would switch the person's pages to another language half-way.
 */
export function rememberSignInLocale(ctx: KoaContextWithOIDC, interaction: { params: Record<string, unknown>; deviceCode?: unknown }) {
  const resumed = (ctx.oidc?.entities as { Interaction?: { params?: Record<string, unknown> } } | undefined)?.Interaction?.params?.[SIGN_IN_LOCALE_PARAM];
  const uiLocales = interaction.deviceCode === undefined ? interaction.params.ui_locales : undefined;
  const locale = isLocale(resumed) ? resumed : negotiateLocale({ uiLocales, chosen: chosenLocaleOf(ctx), acceptLanguage: ctx.get('accept-language') });
  interaction.params[SIGN_IN_LOCALE_PARAM] = locale;
}

/**
 * The language a stored interaction's pages speak: the one recorded as it began (one begun before
 * this was recorded has none), unless this browser chose another with the switch since (`chosen`):
 * the sign-in then goes on in that one, its resent mail included. An app's `ui_locales` is not
 * overruled: the app asked for its language for this sign-in.
 */
export function signInLocaleOf(interaction: unknown, { chosen }: { chosen?: Locale } = {}): Locale | undefined {
  const params = (interaction as { params?: Record<string, unknown> } | undefined)?.params;
  const recorded = params?.[SIGN_IN_LOCALE_PARAM];
  if (!isLocale(recorded)) return undefined;
  return chosen && !localeOfUiLocales(params?.ui_locales) ? chosen : recorded;
}
