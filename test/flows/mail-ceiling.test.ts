import { describe, expect, it } from '@jest/globals';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { signInWithCodeAt } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// mailQueue.ceiling (src/mail/mail-ceiling.ts): past it, no new sign-in or change-of-address mail is
// queued, whoever asks; security notices still are. A ceiling of 2, the relay down so that nothing
// drains, and the durable queue's real counts.
const running = useSesame({ config: { mailQueue: { worker: 'on', attempts: 10, backoffMs: 100, concurrency: 4, ceiling: 2 } } });

/** How long the ceiling trusts a count (mail-ceiling.ts refreshMs), and a little more. */
const COUNT_REFRESH_MS = 2100;

/** Opens /account in a new browser and asks for a sign-in mail to `email`; returns the page the answer leads to. */
async function askForSignInMail(email: string) {
  const browser = new HttpBrowser();
  const emailForm = await browser.navigate(`${running.sesame.url}/account`);
  const uid = emailForm.url.split('/').pop()!;
  return browser.navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...formFields(emailForm.html, '/email'), email } });
}

const refused = async () => (await running.sesame.metrics.mailsRefused.get()).values[0]?.value ?? 0;

describe('the ceiling on all queued mail', () => {
  it('refuses new sign-in mail with a 503 page while the queue is at it, still queues a security notice, and takes mail again once it drains', async () => {
    // Signed in before the queue fills: this browser will delete its account.
    const leaving = 'leaving-while-full@example.com';
    const { browser } = await signInWithCodeAt(running, `${running.sesame.url}/account`, leaving);
    await running.smtp.pause();
    try {
      for (const email of ['first-in-queue@example.com', 'second-in-queue@example.com']) expect((await askForSignInMail(email)).url).toMatch(/\/check$/);
      await new Promise((resolve) => setTimeout(resolve, COUNT_REFRESH_MS));
      const before = await refused();
      // Any address alike, a new one or one with an account: the same page, and no mail queued.
      for (const email of ['third-in-line@example.com', leaving]) {
        const page = await askForSignInMail(email);
        expect(page.status).toBe(503);
        expect(page.headers.get('retry-after')).toBe('60');
        expect(page.html).toContain('Too many emails are waiting to be sent right now, so no new email was sent. Please try again in a few minutes.');
      }
      expect(await refused()).toBe(before + 2);
      expect((await running.sesame.metrics.render()).body).toMatch(/^sesame_mails_refused_total \d+$/m);

      // A security notice is queued all the same: the deletion is made, and its holder is told.
      const confirm = await browser.navigate(`${running.sesame.url}/account/delete`);
      const deleted = await browser.navigate(`${running.sesame.url}/account/delete`, { form: { ...formFields(confirm.html, '/account/delete'), email: leaving } });
      expect(deleted.url).toBe(`${running.sesame.url}/account/deleted`);
    } finally {
      await running.smtp.resume();
    }
    expect((await running.smtp.waitForMail(leaving, { match: (mail) => mail.subject === 'Sesame: Your account was deleted' })).to).toBe(leaving);
    // Drained: the next count lets mail in again.
    await running.sesame.mailIdle();
    await new Promise((resolve) => setTimeout(resolve, COUNT_REFRESH_MS));
    expect((await askForSignInMail('third-in-line@example.com')).url).toMatch(/\/check$/);
    await running.smtp.waitForMail('third-in-line@example.com');
  });
});
