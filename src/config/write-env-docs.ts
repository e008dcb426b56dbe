import { readFileSync, writeFileSync } from 'node:fs';
import { ENV_VARS } from './env-vars.ts';
import { renderEnvExample, renderReadmeTable, replaceReadmeTable } from './render-env-docs.ts';

// `npm run docs:env`: rewrites .env.example and the README table from the env-vars table.
writeFileSync('.env.example', renderEnvExample(ENV_VARS));
writeFileSync('README.md', replaceReadmeTable(readFileSync('README.md', 'utf8'), renderReadmeTable(ENV_VARS)));
process.stdout.write('wrote .env.example and the README configuration table\n');
