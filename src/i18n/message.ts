/**
 * One entry of a catalogue: a text, or its plural forms (Intl.PluralRules categories, CLDR). A
 * plural entry is chosen by the `count` placeholder value; `other` is always there. Placeholders
 * are named, `{clientName}`, and the same in every language (test/i18n/catalogues.test.ts).
 */
export type Message = string | PluralMessage;

export interface PluralMessage {
  zero?: string;
  one?: string;
  two?: string;
  few?: string;
  many?: string;
  other: string;
}
