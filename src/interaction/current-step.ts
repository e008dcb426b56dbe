import { backToSignIn, type NextStep } from '../http/next-step.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { Interaction } from './load-interaction.ts';

/**
 * The page of the step this browser's sign-in is at, for an error page that leads back to it.
 * Once the emailed code or link was used and the authenticator is due, that is its prompt: the
 * sign-in page itself would offer the email form again, since no code is waiting any more.
 * Otherwise the sign-in page, which shows whichever step it is at. Error paths only: it may read.
 */
export async function currentStepOf({ secondFactor }: Pick<InteractionDeps, 'secondFactor'>, interaction: Interaction): Promise<NextStep> {
  if (interaction.prompt.name === 'login' && (await secondFactor.pending.find(interaction.uid))) {
    return { href: `/interaction/${interaction.uid}/totp`, label: { key: 'next.backToSignIn' } };
  }
  return backToSignIn(interaction.uid);
}
