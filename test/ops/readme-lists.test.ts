import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { createMetrics } from '../../src/observability/metrics.ts';

// The README's lists that an operator builds on (a dashboard, a SIEM rule, a tuned default) must
// name what the code has: no more, no less. Read from the files, without starting Sesame.

const README = readFileSync('README.md', 'utf8');

/** The README from the heading `from` up to the next heading of the same or a higher level (outside code blocks). */
function section(from: string): string {
  const lines = README.split('\n');
  const start = lines.indexOf(from);
  expect(start).toBeGreaterThan(-1);
  const level = from.indexOf(' ');
  let inCode = false;
  let end = start + 1;
  for (; end < lines.length; end++) {
    const line = lines[end]!;
    if (line.startsWith('```')) inCode = !inCode;
    else if (!inCode && new RegExp(`^#{1,${level}} `).test(line)) break;
  }
  return lines.slice(start + 1, end).join('\n');
}

/** The first cell and the rest of each row of the Markdown tables in `text` (header rows included). */
function tableRows(text: string): string[][] {
  return text.split('\n').filter((line) => line.startsWith('| `')).map((line) => line.slice(2, -2).split(' | '));
}

describe('README "Health, logs and metrics"', () => {
  it('names every metric Sesame registers, and no other', () => {
    const registered = createMetrics().registry.getMetricsAsArray().map((metric) => metric.name).sort();
    const named = [...new Set([...section('## Health, logs and metrics').matchAll(/`(sesame_[a-z_]+)/g)].map((m) => m[1]!))].sort();
    expect(registered.length).toBeGreaterThan(10);
    expect(named).toEqual(registered);
  });
});

describe('README "Audit log"', () => {
  it('has a row for every event Sesame can write, and none for an event it cannot', () => {
    const events = [...readFileSync('src/observability/audit-log.ts', 'utf8').matchAll(/\{ event: '([a-z_.]+)'/g)].map((m) => m[1]!).sort();
    const rows = tableRows(section('### Audit log'));
    const listed = rows.flatMap(([first]) => [...first!.matchAll(/`([a-z_.]+)`/g)].map((m) => m[1]!)).filter((name) => name !== 'event').sort();
    expect(events.length).toBeGreaterThan(30);
    expect(listed).toEqual(events);
  });
});

describe('README "Configuration"', () => {
  /** Every setting of config/default.json by its path; a rate limit ({ limit, windowSeconds }) is one setting. */
  function settings(value: unknown, path = ''): [string, unknown][] {
    if (typeof value !== 'object' || value === null || 'limit' in value) return [[path, value]];
    return Object.entries(value).flatMap(([key, child]) => settings(child, path ? `${path}.${key}` : key));
  }
  const shown = (value: unknown) => {
    if (typeof value === 'object' && value !== null) {
      const { limit, windowSeconds } = value as { limit: number; windowSeconds: number };
      return `\`${limit}\` per \`${windowSeconds}\` s`;
    }
    return `\`${value}\``;
  };

  it('lists every setting of config/default.json with its shipped value, and no other', () => {
    const defaults = settings(JSON.parse(readFileSync('config/default.json', 'utf8')));
    const rows = tableRows(section('## Configuration')).filter(([first]) => /^`[a-z]/.test(first!));
    expect(defaults.length).toBeGreaterThan(30);
    expect(rows.map(([first, value]) => [first, value])).toEqual(defaults.map(([path, value]) => [`\`${path}\``, shown(value)]));
  });
});

describe('README "Connect a relying party"', () => {
  it('explains every key of a client registration that Sesame adds to the standard metadata', () => {
    const properties = /extraClientMetadata: \{\s*properties: \[([^\]]*)\]/.exec(readFileSync('src/oidc/provider-config.ts', 'utf8'))?.[1];
    const keys = [...(properties ?? '').matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!);
    expect(keys.length).toBeGreaterThan(5);
    const explained = tableRows(section('## Connect a relying party')).map(([first]) => first);
    expect(keys.filter((key) => !explained.includes(`\`${key}\``))).toEqual([]);
    const clientsFileRow = README.split('\n').find((line) => line.startsWith('| `CLIENTS_FILE` |'));
    expect(keys.filter((key) => !clientsFileRow?.includes(key))).toEqual([]);
  });
});

describe('SECURITY.md "Cookies"', () => {
  it('names every cookie Sesame sets, and no other', () => {
    const security = readFileSync('SECURITY.md', 'utf8');
    const cookiesSection = security.slice(security.indexOf('\n### Cookies\n'), security.indexOf('\nCSRF tokens need no cookie'));
    const sources = readdirSync('src', { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts')).map((file) => readFileSync(`src/${file}`, 'utf8'));
    const set = [...new Set(sources.flatMap((source) => [...source.matchAll(/signedCookie\(\{ name: '([a-z_]+)'/g)].map((m) => m[1]!)))].sort();
    const named = [...new Set([...cookiesSection.matchAll(/`(?:__Host-)?(sesame_[a-z_]+)`/g)].map((m) => m[1]!))].sort();
    expect(set.length).toBeGreaterThan(5);
    expect(named).toEqual(set);
  });
});
