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
    // An invisible character beside visible ones is not refused for that (a soft hyphen, a joiner).
    ['Ann\u00ADSmith', 'Ann\u00ADSmith'],
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
    // Nothing that shows: an app would show a blank name instead of falling back to the email.
    ['\u200B', 'unprintable'],
    ['\u3164', 'unprintable'],
    [' \u2060\u200D ', 'unprintable'],
    ['\u115F\u00AD', 'unprintable'],
  ])('refuses %j (%s)', (input, problem) => {
    expect(parseDisplayName(input)).toEqual({ ok: false, problem });
  });
});
