import { describe, expect, it } from '@jest/globals';
import { parseDisplayName } from '../../src/accounts/display-name.ts';

describe('parseDisplayName', () => {
  it.each([
    ['Ann Smith', 'Ann Smith'],
    ['  Ann \t Smith\n', 'Ann Smith'],
    ['Zoe\u0308', 'Zo\u00EB'],
    ['\u0627\u0644\u0639\u0631\u0628\u064A\u0629', '\u0627\u0644\u0639\u0631\u0628\u064A\u0629'],
    // The zero-width joiner some scripts and emoji need.
    ['\u0915\u094D\u200D\u0937', '\u0915\u094D\u200D\u0937'],
    ['x'.repeat(64), 'x'.repeat(64)],
    // A subdivision flag: a black flag, tag characters, a cancel tag.
    ['Ann \u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}', 'Ann \u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}'],
    // A joiner beside visible characters is kept (a conjunct in Devanagari above; an emoji sequence here).
    ['Ann \u{1F469}\u200D\u{1F4BB}', 'Ann \u{1F469}\u200D\u{1F4BB}'],
  ])('keeps %j as %j', (input, name) => {
    expect(parseDisplayName(input)).toEqual({ ok: true, name });
  });

  it.each(['', '   ', '\n'])('reads %j as no name', (input) => {
    expect(parseDisplayName(input)).toEqual({ ok: true, name: undefined });
  });

  it.each([
    ['x'.repeat(65), 'too-long'],
    ['\u{1F600}'.repeat(65), 'too-long'],
    ['Ann\u0000', 'unprintable'],
    ['Ann\u001B[31m', 'unprintable'],
    ['Ann\u202E', 'unprintable'],
    ['Ann\u2066x\u2069', 'unprintable'],
    ['Ann\u200F', 'unprintable'],
    ['Ann\u2028Smith', 'unprintable'],
    ['Ann\uE000', 'unprintable'],
    ['Ann\uD800', 'unprintable'],
    ['Ann\uFEFF', 'unprintable'],
    // Other format characters: interlinear annotation, an invisible operator, a soft hyphen.
    ['Ann\uFFF9x\uFFFB', 'unprintable'],
    ['Ann\u2062Smith', 'unprintable'],
    ['An\u00ADna', 'unprintable'],
    // Nothing that shows: an app would show a blank name instead of falling back to the email.
    ['\u200B', 'unprintable'],
    ['\u3164', 'unprintable'],
    [' \u2060\u200D ', 'unprintable'],
    ['\u115F\u00AD', 'unprintable'],
  ])('refuses %j (%s)', (input, problem) => {
    expect(parseDisplayName(input)).toEqual({ ok: false, problem });
  });
});
