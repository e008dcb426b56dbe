import { HttpBrowser, formFields, type Page } from './http-browser.ts';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { startRelyingParty, type RelyingParty } from './relying-party.ts';
import type { Mailbox } from './smtp-sink.ts';

export interface SignInContext {
  rp: RelyingParty;
  smtp: Mailbox;
  browser?: HttpBrowser;
  authorizationParams?: Record<string, string>;
}

/** Opens the app's authorization URL and submits the email form; returns the "check your email" page and the mail. */
export async function requestSignInMail({ rp, smtp, browser = new HttpBrowser(), authorizationParams }: SignInContext, email: string) {
  const pending = await rp.startAuthorization(authorizationParams);
  const emailPage = await browser.navigate(pending.url);
  if (!/\/interaction\/[^/]+$/.test(emailPage.url)) throw new Error(`expected the email form, got ${emailPage.status} ${emailPage.url}`);
  const uid = emailPage.url.split('/').pop()!;
  const fields = formFields(emailPage.html, '/email');
  const checkPage = await browser.navigate(`${new URL(emailPage.url).origin}/interaction/${uid}/email`, { form: { ...fields, email } });
  // Two sign-ins to one address may run at once: take the mail of this one.
  const mail = await smtp.waitForMail(email, { match: (m) => m.link?.includes(`/interaction/${uid}/`) ?? false });
  return { pending, uid, browser, checkPage, mail, origin: new URL(emailPage.url).origin };
}

/** Answers the consent page if it is shown, and returns where the browser was finally sent. */
export async function finishAtApp(browser: HttpBrowser, page: Page & { leftTo?: string }): Promise<string> {
  if (page.leftTo) return page.leftTo;
  if (/\/consent"/.test(page.html)) {
    const fields = formFields(page.html, '/consent');
    const next = await browser.navigate(`${new URL(page.url).origin}${/action="([^"]*\/consent)"/.exec(page.html)![1]}`, { form: { ...fields, decision: 'allow' } });
    if (next.leftTo) return next.leftTo;
    throw new Error(`consent did not return to the app: ${next.status} ${next.url}`);
  }
  throw new Error(`sign-in did not return to the app: ${page.status} ${page.url}\n${page.html.slice(0, 500)}`);
}

/** The whole sign-in with the typed code: returns the app's tokens. */
export async function signInWithCode(context: SignInContext, email: string) {
  const { pending, uid, browser, mail, origin } = await requestSignInMail(context, email);
  const page = await browser.navigate(`${origin}/interaction/${uid}/code`, { form: { ...formFields((await browser.navigate(`${origin}/interaction/${uid}/check`)).html, '/code'), code: mail.code! } });
  const callback = await finishAtApp(browser, page);
  return { tokens: await context.rp.handleCallback(callback, pending), browser, mail, callback };
}

/**
 * The consent page, reached as people reach it now that the sign-in page asks for consent itself:
 * signed in to the app already (with `openid` alone), the same browser comes back asking for more
 * (`email`). Returns the browser and the consent page, whose form is not answered yet.
 */
export async function reachConsentPage(context: SignInContext, email: string) {
  const { browser } = await signInWithCode({ ...context, authorizationParams: { scope: 'openid' } }, email);
  const pending = await context.rp.startAuthorization({ scope: 'openid email' });
  const page = await browser.navigate(pending.url);
  if (!/\/consent"/.test(page.html)) throw new Error(`expected the consent page, got ${page.status} ${page.url}`);
  const uid = /\/interaction\/([^/]+)\/consent"/.exec(page.html)![1]!;
  return { browser, page, pending, uid };
}

/** The whole sign-in with the link, opened in the same browser. */
export async function signInWithLink(context: SignInContext, email: string) {
  const { pending, browser, mail } = await requestSignInMail(context, email);
  const confirm = await browser.navigate(mail.link!);
  const fields = formFields(confirm.html, '/link');
  const page = await browser.navigate(new URL(/action="([^"]*\/link)"/.exec(confirm.html)![1]!, mail.link!).href, { form: fields });
  const callback = await finishAtApp(browser, page);
  return { tokens: await context.rp.handleCallback(callback, pending), browser, mail, callback };
}

/**
 * Opens `start` (Sesame's /account, or a link that leads to its sign-in) and signs in with the
 * emailed code, no app involved; returns the email form and the page the sign-in ends on.
 */
export async function signInWithCodeAt({ smtp }: { smtp: Mailbox }, start: string, email: string, browser = new HttpBrowser()) {
  const emailForm = await browser.navigate(start);
  if (!/\/interaction\/[^/]+$/.test(emailForm.url)) throw new Error(`expected the email form, got ${emailForm.status} ${emailForm.url}`);
  const uid = emailForm.url.split('/').pop()!;
  const { origin } = new URL(emailForm.url);
  const check = await browser.navigate(`${origin}/interaction/${uid}/email`, { form: { ...formFields(emailForm.html, '/email'), email } });
  const mail = await smtp.waitForMail(email);
  const page = await browser.navigate(`${origin}/interaction/${uid}/code`, { form: { ...formFields(check.html, '/code'), code: mail.code! } });
  return { browser, emailForm, page };
}

/** The browser's Sesame session id (its `_session` cookie). */
export function sessionIdOf(browser: HttpBrowser, issuer: string): string {
  return /(?:^|; )_session=([^;]+)/.exec(browser.cookieHeader(new URL(`${issuer}/`)))![1]!;
}

/**
 * A browser signed in to the context's app with a refresh token (`offline_access`), then to
 * `second` by single sign-on: returns both apps' tokens, the second app's `sid` and the browser's
 * session id.
 */
export async function signInToTwoApps(context: SignInContext & { issuer: string }, second: ClientRegistration, email: string) {
  const { tokens, browser } = await signInWithCode({ ...context, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, email);
  const app = await startRelyingParty(context.issuer, second);
  const pending = await app.startAuthorization();
  const secondTokens = await app.handleCallback(await finishAtApp(browser, await browser.navigate(pending.url)), pending);
  return { browser, tokens, secondApp: app, secondTokens, secondSid: secondTokens.claims()!.sid as string, sessionId: sessionIdOf(browser, context.issuer) };
}

/**
 * The app's next sign-in in `browser` after it was signed out (everywhere, or by its own page):
 * returns the page that asked for the email, and the app's new tokens.
 */
export async function signInAgain(context: { rp: RelyingParty; smtp: Mailbox }, browser: HttpBrowser, email: string) {
  const pending = await context.rp.startAuthorization();
  const { emailForm, page } = await signInWithCodeAt(context, pending.url, email, browser);
  return { emailForm, tokens: await context.rp.handleCallback(await finishAtApp(browser, page), pending) };
}
