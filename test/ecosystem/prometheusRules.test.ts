/**
 * The alerting rules in deploy/prometheus: valid for Debian's promtool, each rule fired by one
 * series and left quiet by another (`promtool test rules`), and every metric they use is one the
 * services expose.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exposedMetricNames, metricsIn } from './metricNames.ts';

const dir = new URL('../../deploy/prometheus/', import.meta.url).pathname;
const promtool = (...args: string[]) =>
  execFileSync('promtool', args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}
const rules = (
  parse(readFileSync(`${dir}rules/gadelys.yml`, 'utf8')) as {
    groups: { name: string; rules: Rule[] }[];
  }
).groups.flatMap((g) => g.rules);

interface RuleTest {
  name: string;
  input_series: { series: string; values: string }[];
  alert_rule_test?: { alertname: string; exp_alerts: { exp_labels: Record<string, string> }[] }[];
}
const tests = (parse(readFileSync(`${dir}rules.test.yml`, 'utf8')) as { tests: RuleTest[] }).tests;

describe('Prometheus alerting rules', () => {
  it('pass promtool check rules and the scrape config passes promtool check config', () => {
    expect(promtool('check', 'rules', 'rules/gadelys.yml')).toMatch(/SUCCESS: \d+ rules found/);
    // The token file it names exists only in a deployment: syntax here, the real server loads it
    // in prometheusScrape.test.ts.
    expect(promtool('check', 'config', '--syntax-only', 'prometheus.yml')).toMatch(
      /is valid prometheus config/,
    );
  });

  it('pass promtool test rules', () => {
    expect(promtool('test', 'rules', 'rules.test.yml')).toContain('SUCCESS');
  });

  it('report a failure when an expectation does not hold (the runner can fail)', () => {
    const text = readFileSync(`${dir}rules.test.yml`, 'utf8')
      .replace('  - rules/gadelys.yml', `  - ${dir}rules/gadelys.yml`)
      .replace(
        "summary: '3 lamps have stopped reporting'",
        "summary: '4 lamps have stopped reporting'",
      );
    const tmp = mkdtempSync(join(tmpdir(), 'gadelys-promtool-'));
    try {
      writeFileSync(join(tmp, 'broken.test.yml'), text);
      let out = '';
      try {
        execFileSync('promtool', ['test', 'rules', 'broken.test.yml'], { cwd: tmp, stdio: 'pipe' });
      } catch (err) {
        const e = err as { stdout?: Buffer; stderr?: Buffer };
        out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
      }
      expect(out).toContain('FAILED');
      expect(out).toContain('alertname: GadelysLampsSilent');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('every alert has a case where it fires and input it must ignore', () => {
    const alerts = rules.flatMap((r) => (r.alert ? [r.alert] : []));
    expect(alerts.length).toBeGreaterThanOrEqual(9);
    for (const alert of alerts) {
      const cases = tests.filter((t) => t.alert_rule_test?.some((a) => a.alertname === alert));
      expect(cases.length, alert).toBeGreaterThan(0);
      for (const c of cases) {
        const fired = c.alert_rule_test!.filter((a) => a.alertname === alert);
        expect(fired.flatMap((a) => a.exp_alerts).length, `${alert} fires`).toBeGreaterThan(0);
        // More series than alerts: some input must not fire (promtool checks the exact set).
        const expected = fired.flatMap((a) => a.exp_alerts).length;
        expect(c.input_series.length, `${alert}: quiet series`).toBeGreaterThan(expected);
      }
    }
  });

  it('use only metrics the services expose', async () => {
    const exposed = await exposedMetricNames();
    for (const r of rules) {
      for (const name of metricsIn(r.expr))
        expect(exposed.has(name), `${r.alert}: ${name}`).toBe(true);
    }
  });
});
