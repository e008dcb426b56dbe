import type { Context } from 'koa';
import type { MessageKey } from '../i18n/catalogues.ts';

/**
 * What a form's POST tells the page it redirects to (Post/Redirect/Get), in that page's address:
 * a key from the page's own fixed list and at most a few small counts, never words, so an address
 * someone else made cannot put text on the page. The page maps the key to its message and checks
 * each count's range when it reads it.
 */
export function withOutcome(path: string, outcome: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(outcome)) if (value !== undefined) query.set(name, String(value));
  const search = query.toString();
  return search === '' ? path : `${path}?${search}`;
}

/** The query parameter `name` when it is one of `keys`, else undefined. */
export function queryKey<K extends string>(ctx: Context, name: string, keys: readonly K[]): K | undefined {
  const value = ctx.query[name];
  return typeof value === 'string' && (keys as readonly string[]).includes(value) ? (value as K) : undefined;
}

/**
 * The catalogue message the query parameter `name` names in the page's table of fixed messages
 * (`?problem=same` → 'emailChange.problem.same'), else undefined: the page says only what its
 * table says, in the reader's language. Own keys only, so that `?problem=constructor` does not
 * find Object.prototype's.
 */
export function queryMessage(ctx: Context, name: string, messages: Readonly<Record<string, MessageKey>>): MessageKey | undefined {
  const key = queryKey(ctx, name, Object.keys(messages));
  return key === undefined ? undefined : messages[key];
}

/** The query parameter `name` as an integer within min..max, else undefined. */
export function queryCount(ctx: Context, name: string, { min, max }: { min: number; max: number }): number | undefined {
  const value = ctx.query[name];
  if (typeof value !== 'string' || !/^\d{1,6}$/.test(value)) return undefined;
  const count = Number(value);
  return count >= min && count <= max ? count : undefined;
}
