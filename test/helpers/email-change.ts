import { formFields, type HttpBrowser, type Page } from './http-browser.ts';
import type { Mailbox, ReceivedMail } from './smtp-sink.ts';

export const EMAIL_CHANGE_CODE_SUBJECT = 'Sesame: Confirm your new sign-in address';
export const EMAIL_IN_USE_SUBJECT = 'Sesame: This address is already in use';

/** In a browser signed in to /account: opens the address form and asks to move to `newEmail`. Returns the answer to the POST and the page it leads to. */
export async function requestEmailChange(origin: string, browser: HttpBrowser, newEmail: string) {
  const form = await browser.navigate(`${origin}/account/email`);
  const fields = { ...formFields(form.html, '/account/email'), email: newEmail };
  const response = await browser.request(`${origin}/account/email`, { form: fields });
  const location = response.headers.get('location');
  const page = location ? await browser.navigate(new URL(location, origin).href) : { url: `${origin}/account/email`, status: response.status, html: await response.text(), headers: response.headers };
  return { response, page };
}

/** Types `code` into the confirmation page and follows where it leads. */
export function enterEmailChangeCode(origin: string, browser: HttpBrowser, confirmPage: Page, code: string) {
  return browser.navigate(`${origin}/account/email/confirm`, { form: { ...formFields(confirmPage.html, '/account/email/confirm'), code } });
}

/** The next mail with a code for moving an account to `email`. */
export function emailChangeCodeTo(smtp: Mailbox, email: string): Promise<ReceivedMail> {
  return smtp.waitForMail(email, { match: (mail) => mail.subject === EMAIL_CHANGE_CODE_SUBJECT });
}
