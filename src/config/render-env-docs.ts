import type { EnvVar } from './env-vars.ts';

/**
 * .env.example: every variable with its description and its default or an example, all commented
 * out. A .env copied from it sets only what the operator uncomments: NODE_ENV written out as
 * `development` would pass for a choice, and a deployment that forgot it would start in
 * development mode instead of being refused (load-config.ts).
 */
export function renderEnvExample(vars: readonly EnvVar[]): string {
  const blocks = vars.map((v) => {
    const value = v.defaultValue ?? v.example ?? '';
    return `# ${v.description}${v.secret ? ' (secret)' : ''}\n# ${v.name}=${value}`;
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
