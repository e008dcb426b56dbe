import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { VIEWS_DIR } from '../../src/paths.ts';

// The colours of views/static/sesame.css, light and dark, held to WCAG 2.2's contrast minimums:
// 4.5:1 for text, 3:1 for focus indicators and the edges of form fields.
const css = readFileSync(`${VIEWS_DIR}/static/sesame.css`, 'utf8');

function variables(block: string): Record<string, string> {
  return Object.fromEntries([...block.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6}|#[0-9a-f]{3})\b/gi)].map((m) => [m[1]!, m[2]!]));
}
const light = variables(/:root\s*\{([^}]*)\}/.exec(css)![1]!);
const dark = { ...light, ...variables(/prefers-color-scheme:\s*dark\)\s*\{[\s\S]*?:root\s*\{([^}]*)\}/.exec(css)![1]!) };

function luminance(hex: string): number {
  const full = hex.length === 4 ? `#${[...hex.slice(1)].map((c) => c + c).join('')}` : hex;
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(full.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
};

describe.each([['light', light], ['dark', dark]])('the %s colour scheme', (_name, colours) => {
  it.each([
    ['text on cards', 'ink', 'card', 4.5],
    ['text on the page', 'ink', 'bg', 4.5],
    ['hints on cards', 'muted', 'card', 4.5],
    ['button text on buttons', 'accent-ink', 'accent', 4.5],
    ['links on cards', 'accent', 'card', 4.5],
    ['errors on their background', 'danger', 'danger-bg', 4.5],
    ['text on destructive buttons', 'danger-ink', 'danger', 4.5],
    // Outlined destructive links are danger text on the card; solid buttons need their edge at 3:1 there.
    ['destructive actions on cards', 'danger', 'card', 4.5],
    ['the focus ring on cards', 'focus', 'card', 3],
    ['the focus ring on the page', 'focus', 'bg', 3],
    ['the edges of form fields', 'field', 'card', 3],
  ])('%s', (_what, fore, back, minimum) => {
    expect([fore, back, contrast(colours[fore as string]!, colours[back as string]!) >= (minimum as number)]).toEqual([fore, back, true]);
  });
});
