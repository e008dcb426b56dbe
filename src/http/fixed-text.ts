/**
 * The text a query parameter names in a table of fixed texts (`?problem=same`), or undefined:
 * pages say only what the table says, whatever the query string holds. Own keys only, so that
 * `?problem=constructor` does not find Object.prototype's.
 */
export function fixedText<Texts extends Record<string, string>>(texts: Texts, key: unknown): string | undefined {
  return typeof key === 'string' && Object.hasOwn(texts, key) ? texts[key] : undefined;
}
