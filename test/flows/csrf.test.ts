import { describe, expect, it } from '@jest/globals';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { reachConsentPage, requestSignInMail } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';

const running = useSesame();

/** Every POST form on a page: its action and fields. */
function postForms(html: string): { action: string; fields: Record<string, string> }[] {
  return (html.match(/<form[^>]*method="post"[^>]*>/g) ?? []).map((tag) => {
    const action = /action="([^"]+)"/.exec(tag)![1]!;
    return { action, fields: formFields(html, action.split('/').pop()!) };
  });
}

describe('every interaction form carries a CSRF token bound to its sign-in', () => {
  it('is refused without it, with another sign-in\'s token, or from another origin', async () => {
    const signIn = await requestSignInMail(running, 'csrf@example.com');
    const other = await requestSignInMail(running, 'csrf-other@example.com');
    const pages = [
      (await signIn.browser.navigate(`${running.sesame.url}/interaction/${signIn.uid}/check`)).html,
      (await signIn.browser.navigate(signIn.mail.link!)).html,
      (await new HttpBrowser().navigate((await running.rp.startAuthorization()).url)).html,
    ];
    const forms = pages.flatMap(postForms);
    const actions = new Set(forms.map((form) => form.action.replace(/\/interaction\/[^/]+/, '/interaction/:uid')));
    expect([...actions].sort()).toEqual(['/interaction/:uid/abort', '/interaction/:uid/code', '/interaction/:uid/continue', '/interaction/:uid/email', '/interaction/:uid/link', '/interaction/:uid/restart']);

    const otherToken = formFields(other.checkPage.html, '/code').csrf!;
    await expectEachRefused(signIn.browser, forms.filter((f) => f.action.includes(signIn.uid)), otherToken);
    // And nothing of that consumed the sign-in: the real form still works, back to the app.
    const done = await signIn.browser.navigate(`${running.sesame.url}/interaction/${signIn.uid}/code`, { form: { ...formFields(signIn.checkPage.html, '/code'), code: signIn.mail.code! } });
    expect(done.leftTo).toMatch(/callback\?code=/);
    // The consent page's form too.
    const consent = await reachConsentPage(running, 'csrf-consent@example.com');
    const consentForms = postForms(consent.page.html);
    expect(consentForms.map((f) => f.action.replace(/\/interaction\/[^/]+/, '/interaction/:uid')).sort()).toEqual(['/interaction/:uid/consent']);
    await expectEachRefused(consent.browser, consentForms, otherToken);
  });
});

async function expectEachRefused(browser: HttpBrowser, forms: { action: string; fields: Record<string, string> }[], otherToken: string) {
  expect(forms.length).toBeGreaterThan(0);
  for (const form of forms) {
    expect([form.action, form.fields.csrf]).toEqual([form.action, expect.stringMatching(/^[A-Za-z0-9_-]{43}$/)]);
    const url = `${running.sesame.url}${form.action}`;
    const { csrf: _dropped, ...withoutToken } = form.fields;
    for (const [label, fields, headers] of [
      ['no token', withoutToken, {}],
      ['another sign-in\'s token', { ...withoutToken, csrf: otherToken }, {}],
      ['another origin', form.fields, { origin: 'https://evil.example' }],
      ['a cross-site fetch', form.fields, { 'sec-fetch-site': 'cross-site' }],
    ] as const) {
      const response = await browser.request(url, { form: fields, headers });
      expect([form.action, label, response.status]).toEqual([form.action, label, 403]);
    }
  }
}
