import type { EnvVar } from './env-vars.ts';

/** .env.example: every variable with its description; defaults set, the rest commented out. */
export function renderEnvExample(vars: readonly EnvVar[]): string {
  const blocks = vars.map((v) => {
    const value = v.defaultValue ?? v.example ?? '';
    const line = v.defaultValue !== undefined ? `${v.name}=${value}` : `# ${v.name}=${value}`;
    return `# ${v.description}${v.secret ? ' (secret)' : ''}\n${line}`;
  });
  return [
    '# Sesame configuration. `npm start` reads .env when it exists: copy this file to .env and edit.',
    '# Generated from src/config/env-vars.ts: change that table, then run `npm run docs:env`.',
    '',
    blocks.join('\n\n'),
    '',
  ].join('\n');
}

export const README_TABLE_START = '<!-- env-vars:start (generated from src/config/env-vars.ts by `npm run docs:env`) -->';
export const README_TABLE_END = '<!-- env-vars:end -->';

/** The README's configuration table, between its two markers. */
export function renderReadmeTable(vars: readonly EnvVar[]): string {
  const rows = vars.map((v) => `| \`${v.name}\` | ${v.defaultValue === undefined ? 'unset' : `\`${v.defaultValue}\``} | ${v.description}${v.secret ? ' Secret.' : ''} |`);
  return [README_TABLE_START, '| Variable | Default | What it does |', '| --- | --- | --- |', ...rows, README_TABLE_END].join('\n');
}

/** Replaces the table between the markers; throws if the README lost them. */
export function replaceReadmeTable(readme: string, table: string): string {
  const start = readme.indexOf(README_TABLE_START);
  const end = readme.indexOf(README_TABLE_END);
  if (start === -1 || end === -1 || end < start) throw new Error('README.md lacks the env-vars markers');
  return readme.slice(0, start) + table + readme.slice(end + README_TABLE_END.length);
}
