/**
 * One line of plain text for pages and mail headers: control, line-separator and bidi-override
 * characters become spaces (they could fold a mail header or reverse what a person reads),
 * whitespace collapses, and the result is at most `maxLength` characters. Templates still escape it.
 */
export function displayText(value: string, maxLength: number): string {
  // eslint-disable-next-line no-control-regex
  const oneLine = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]+/g, ' ').replace(/\s+/g, ' ').trim();
  return [...oneLine].slice(0, maxLength).join('');
}
