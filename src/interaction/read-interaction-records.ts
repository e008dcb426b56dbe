import type { Context, Next } from 'koa';
import type { AdapterPayload } from 'oidc-provider';
import { speakLanguage } from '../i18n/page-language.ts';
import { chosenLocaleOf } from '../i18n/language-cookie.ts';
import { signInLocaleOf } from '../i18n/sign-in-language.ts';
import { relatedRecordKeys } from '../oidc/related-records.ts';
import { rememberSessionByUid, sessionOfCookie } from '../oidc/session-cookie.ts';
import type { RequestScopes } from '../store/request-scope.ts';
import { oidcRecordKey, signInCodeKey } from '../store/keys.ts';

/**
 * Reads, in one round trip, what nearly every sign-in step needs: the interaction, its pending
 * sign-in, the browser's session (consent and step-up pages), and what a route's earlier
 * middleware asked for in `ctx.state.alsoRead`. Checks that must count something (rate limits)
 * are started by that middleware just before, so they travel in the same batch. What these
 * records point to is then started in one more batch while the route goes on.
 */
export function readInteractionRecords(scopes: Pick<RequestScopes, 'prefetch' | 'warm' | 'remember'>) {
  return async function readInteractionRecords(ctx: Context, next: Next) {
    const uid = ctx.params.uid!;
    const session = sessionOfCookie(ctx);
    const alsoRead: string[] = ctx.state.alsoRead ?? [];
    const [interaction, , ...rest] = await scopes.prefetch([oidcRecordKey('Interaction', uid), signInCodeKey(uid), ...alsoRead, ...(session ? [session.key] : [])]);
    const sessionRecord = session ? rest.at(-1) : undefined;
    if (session && sessionRecord) rememberSessionByUid(scopes, session.id, sessionRecord);
    if (interaction) scopes.warm(relatedRecordKeys('Interaction', interaction as AdapterPayload));
    // The sign-in's own language, from its record (i18n/sign-in-language.ts): every page of it, in
    // whichever browser, speaks the language it began in, or the one this browser switched to since.
    const locale = signInLocaleOf(interaction, { chosen: chosenLocaleOf(ctx) });
    if (locale) speakLanguage(ctx, locale);
    return next();
  };
}
