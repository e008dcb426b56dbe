import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { useSesame } from '../helpers/use-sesame.ts';

// config/prometheus-alerts.yml, checked and unit-tested by Prometheus's own promtool (Debian's
// prometheus package; .ci/run puts it on the PATH), and its metric names checked against what
// Sesame really exposes, so that a renamed metric cannot leave an alert that never fires.

const RULES = 'config/prometheus-alerts.yml';
const RULE_TESTS = 'test/deploy/prometheus-alerts.rules-test.yml';
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

const running = useSesame();

function promtool(...args: string[]) {
  const run = spawnSync(PROMTOOL, args, { encoding: 'utf8' });
  if (run.error) throw new Error(`${PROMTOOL} could not run (${run.error.message}): install Debian's prometheus package, or extract promtool from it as .ci/run does, or set PROMTOOL`);
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('the Prometheus alerting rules (config/prometheus-alerts.yml)', () => {
  it('are valid rules, and each fires (and stays quiet) as its promtool unit tests expect', () => {
    const checked = promtool('check', 'rules', RULES);
    expect([checked.code, checked.output]).toEqual([0, expect.stringContaining('SUCCESS')]);
    const tested = promtool('test', 'rules', RULE_TESTS);
    expect([tested.code, tested.output]).toEqual([0, expect.stringContaining('SUCCESS')]);
  });

  it('every alert has a unit test in which it fires', () => {
    const alerts = [...readFileSync(RULES, 'utf8').matchAll(/^\s+- alert: (\w+)$/gm)].map(([, name]) => name!);
    expect(alerts.length).toBeGreaterThan(5);
    const tests = readFileSync(RULE_TESTS, 'utf8');
    const firing = new Set([...tests.matchAll(/alertname: (\w+)\n\s+exp_alerts:\n\s+- exp_labels/g)].map(([, name]) => name!));
    expect(alerts.filter((alert) => !firing.has(alert))).toEqual([]);
  });

  it('name only metrics that Sesame exposes', async () => {
    const exposed = await (await fetch(`${running.sesame.url}/metrics`)).text();
    const named = new Set([...readFileSync(RULES, 'utf8').matchAll(/\b(sesame_\w+?)(?:_bucket|_count|_sum)?\b(?=[{[\s)])/g)].map(([, name]) => name!));
    expect(named.size).toBeGreaterThan(5);
    const missing = [...named].filter((name) => !new RegExp(`^# TYPE ${name} `, 'm').test(exposed));
    expect(missing).toEqual([]);
  });
});
