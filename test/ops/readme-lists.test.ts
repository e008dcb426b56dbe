import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEYS_USAGE, runKeysCommand, type KeysCommandDeps } from '../../src/cli/key-commands.ts';
import { runUserCommand, USER_USAGE } from '../../src/cli/user-commands.ts';
import { ConfigError, loadConfig } from '../../src/config/load-config.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { makeShippedConfigDir } from '../helpers/shipped-config-dir.ts';

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

  it('gives each metric it shows with labels the label names Sesame registers', () => {
    const labelsOf = new Map(createMetrics().registry.getMetricsAsArray().map((metric) => [metric.name, [...((metric as unknown as { labelNames?: string[] }).labelNames ?? [])].sort()]));
    // `sesame_lockouts_total{streak}`, `sesame_mail_queue_jobs{state="waiting|…"}`: the names before any `=`.
    const shown = [...section('## Health, logs and metrics').matchAll(/`(sesame_[a-z_]+)\{([^}`]*)\}/g)].map((m) => [m[1]!, m[2]!.split(',').map((label) => label.split('=')[0]!.trim()).sort()] as const);
    expect(shown.length).toBeGreaterThan(5);
    expect(shown.map(([name]) => [name, labelsOf.get(name)])).toEqual(shown);
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

  it("names each event's own fields in its row (an address as emailHash)", () => {
    const source = readFileSync('src/observability/audit-log.ts', 'utf8');
    const fieldsOf = new Map([...source.matchAll(/\{ event: '([a-z_.]+)';([^}]*(?:\{[^}]*\}[^}]*)?)\}/g)].map((m) => [m[1]!, [...m[2]!.replace(/\{[^}]*\}/g, '{}').matchAll(/(?:^|;)\s*([a-zA-Z]+)\??:/g)].map((f) => (f[1] === 'address' ? 'emailHash' : f[1]!))]));
    expect(fieldsOf.size).toBeGreaterThan(30);
    const unnamed = tableRows(section('### Audit log')).flatMap(([first, , fields]) =>
      [...first!.matchAll(/`([a-z_.]+)`/g)].flatMap(([, event]) => (fieldsOf.get(event!) ?? []).filter((field) => !fields?.includes(`\`${field}\``)).map((field) => `${event}: ${field}`)),
    );
    expect(unnamed).toEqual([]);
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

  describe('the ranges it gives are what start-up takes', () => {
    let root: string;
    const shipped = JSON.parse(readFileSync('config/default.json', 'utf8')) as Record<string, unknown>;
    beforeAll(() => {
      root = makeShippedConfigDir('readme-ranges');
      loadConfig({ env: {}, rootDir: root }); // development keys and secrets, generated once
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    /** Whether Sesame starts with `path` of config/default.json set to `value`. */
    function starts(path: string, value: number): boolean {
      const defaults = structuredClone(shipped);
      // So that a sign-in code's whole range fits in a sign-in (README: "at most the sign-in's own lifetime").
      (defaults.ttl as Record<string, number>).interactionSeconds = 3600;
      const keys = path.split('.');
      let at = defaults as Record<string, unknown>;
      for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
      at[keys.at(-1)!] = value;
      writeFileSync(join(root, 'config/default.json'), JSON.stringify(defaults));
      try {
        loadConfig({ env: {}, rootDir: root });
        return true;
      } catch (error) {
        if (error instanceof ConfigError) return false;
        throw error;
      }
    }

    it('for every setting whose row gives one, and every rate limit', () => {
      const ranges = tableRows(section('## Configuration')).flatMap(([first, , meaning]) => {
        const path = /^`([a-zA-Z.]+)`$/.exec(first!)?.[1];
        if (!path || !meaning) return [];
        // "limit 1..100, window 60..86400" names its parts; otherwise the last range is the setting's.
        const parts = [...meaning.matchAll(/(?:(limit|window) )?(\d+)\.\.(\d+)/g)];
        if (parts.some(([, part]) => part)) return parts.map(([, part, min, max]) => [`${path}.${part === 'limit' ? 'limit' : 'windowSeconds'}`, Number(min), Number(max)] as const);
        const last = parts.at(-1);
        return last ? [[path, Number(last[2]), Number(last[3])] as const] : [];
      });
      const everyRateLimit = /Every rate limit takes a limit of (\d+)\.\.(\d+) and a window of (\d+)\.\.(\d+) seconds/.exec(section('## Configuration'));
      expect(everyRateLimit).not.toBeNull();
      for (const name of Object.keys(shipped.rateLimits as object)) {
        ranges.push([`rateLimits.${name}.limit`, Number(everyRateLimit![1]), Number(everyRateLimit![2])], [`rateLimits.${name}.windowSeconds`, Number(everyRateLimit![3]), Number(everyRateLimit![4])]);
      }
      expect(ranges.length).toBeGreaterThan(30);
      const wrong = ranges.flatMap(([path, min, max]) => {
        const taken = { [min - 1]: starts(path, min - 1), [min]: starts(path, min), [max]: starts(path, max), [max + 1]: starts(path, max + 1) };
        return taken[min - 1] || !taken[min] || !taken[max] || taken[max + 1] ? [`${path} ${min}..${max}: ${JSON.stringify(taken)}`] : [];
      });
      expect(wrong).toEqual([]);
    });
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

describe('README "Administration"', () => {
  /** `user add`, `keys promote`...: every CLI command the README names, in a command line or in code. */
  const named = (group: string) => [...new Set([...README.matchAll(new RegExp(`(?:\`|npm run cli -- )${group} ([a-z][a-z-]*)`, 'g'))].map((m) => m[1]!))].sort();
  const inUsage = (usage: string, group: string) => [...usage.matchAll(new RegExp(`^  ${group} ([a-z][a-z-]*)`, 'gm'))].map((m) => m[1]!).sort();
  // Commands given arguments they cannot take answer with what they take, before touching anything.
  const unused: object = new Proxy(() => {}, {
    get: () => unused,
    apply: () => {
      throw new Error('a usage mistake must not reach the store');
    },
  });
  const tooManyArguments = ['a', 'b', 'c'];

  it('names every user command the CLI has, and no other', async () => {
    expect(named('user')).toEqual(inUsage(USER_USAGE, 'user'));
    for (const command of named('user')) {
      const result = await runUserCommand([command, ...tooManyArguments], unused as Parameters<typeof runUserCommand>[1]);
      expect([command, result.ok ? '' : result.message]).toEqual([command, expect.not.stringContaining('Unknown command')]);
    }
  });

  it('names every keys command the CLI has, and no other', async () => {
    expect(named('keys')).toEqual(inUsage(KEYS_USAGE, 'keys'));
    for (const command of named('keys')) {
      const result = await runKeysCommand([command, ...tooManyArguments], unused as KeysCommandDeps);
      expect([command, result.ok ? '' : result.message]).toEqual([command, expect.not.stringContaining('Unknown command')]);
    }
  });
});

describe('README', () => {
  it('names only npm scripts that package.json has', () => {
    const scripts = Object.keys((JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts);
    const named = [...new Set([...README.matchAll(/npm run(?: -s)? ([a-z][a-z:-]*)/g)].map((m) => m[1]!))];
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((name) => !scripts.includes(name))).toEqual([]);
  });

  it('names only files of this repository that exist', () => {
    const paths = [...new Set([...README.matchAll(/[`(]((?:src|test|config|views|bench|\.ci)\/[A-Za-z0-9_./-]+|[A-Za-z-]+\.md|Dockerfile|docker-compose\.yml|\.env\.example)[`)#]/g)].map((m) => m[1]!))];
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.filter((path) => !existsSync(path.replace(/\/$/, '')))).toEqual([]);
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
