/**
 * The ruler's config file (`rules run --config`): a Prometheus file's ruler sections read as
 * Prometheus reads them, the letheql section, positioned errors for every bad key, and the
 * CLI merging the file with flags — checked end to end with a webhook receiver on 127.0.0.1.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { expandRuleFiles, parseRulerConfig } from '../../src/rules/ruler-config.js';
import { RuleFileError } from '../../src/rules/rule-file.js';
import { httpReceiver } from '../support/services.js';

const issues = (text: string): string[] => {
  try {
    parseRulerConfig(text, 'c.yaml', '/etc/letheql');
    return [];
  } catch (e) {
    if (!(e instanceof RuleFileError)) throw e;
    return e.message.split('\n');
  }
};

describe('parseRulerConfig', () => {
  it('reads the ruler sections of a full prometheus.yml, skipping the rest by name', () => {
    const cfg = parseRulerConfig(
      `global:
  scrape_interval: 15s
  evaluation_interval: 30s
  rule_query_offset: 1m
  external_labels:
    cluster: prod
    region: eu
rule_files:
  - rules/*.yaml
  - /abs/other.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['am-1:9093', 'am-2:9093']
    - scheme: https
      path_prefix: /am/
      api_version: v2
      static_configs: [{targets: ['am.example.com']}]
remote_write:
  - url: http://prom:9090/api/v1/write
    name: main
scrape_configs:
  - job_name: x
storage:
  tsdb: {}
letheql:
  state_file: state/ruler.json
  external_url: https://logs.example.com/
  resend_delay: 2m
  sample_lines: 0
  repeat_interval: 90m
  webhook: [http://hooks.example.com/a]
  slack_webhook: ['https://hooks.slack.com/services/T/B/X']
  email: {smtp: 'smtp://mail:587', from: a@example.com, to: [b@example.com, c@example.com]}
`,
      'prometheus.yml',
      '/etc/letheql',
    );
    expect(cfg).toEqual({
      rules: ['/etc/letheql/rules/*.yaml', '/abs/other.yml'],
      alertmanager: ['http://am-1:9093', 'http://am-2:9093', 'https://am.example.com/am'],
      'remote-write': ['http://prom:9090/api/v1/write'],
      'external-label': ['cluster=prod', 'region=eu'],
      'default-interval': '30s',
      'query-offset': '1m',
      state: '/etc/letheql/state/ruler.json',
      'external-url': 'https://logs.example.com/',
      'resend-delay': '2m',
      'sample-lines': '0',
      'repeat-interval': '1h30m',
      webhook: ['http://hooks.example.com/a'],
      'slack-webhook': ['https://hooks.slack.com/services/T/B/X'],
      smtp: 'smtp://mail:587',
      'email-from': 'a@example.com',
      'email-to': ['b@example.com', 'c@example.com'],
      ignored: ['scrape_configs', 'storage'],
    });
  });

  it("reads the README's example", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /```yaml\n# ruler\.yml\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(parseRulerConfig(block, 'ruler.yml', '/etc/letheql')).toMatchObject({
      rules: ['/etc/letheql/rules/*.yaml'],
      alertmanager: ['http://127.0.0.1:9093'],
      'remote-write': ['http://127.0.0.1:9090/api/v1/write'],
      'external-label': ['cluster=prod'],
      'default-interval': '1m',
      state: '/var/lib/letheql/ruler.json',
      webhook: ['http://127.0.0.1:8080/alerts'],
      ignored: [],
    });
  });

  it('an empty file is an empty config', () => {
    expect(parseRulerConfig('', 'c.yaml', '/x')).toMatchObject({ rules: [], alertmanager: [], ignored: [] });
  });

  const BAD: [string, string, string[]][] = [
    ['unknown top-level key', 'rulefiles: [a.yaml]\n', ['c.yaml:1:1: field "rulefiles" not found in a ruler config (fields: global, rule_files, alerting, remote_write, letheql)']],
    ['unknown global key', 'global:\n  evaluation_intervall: 1m\n', ['c.yaml:2:3: field "evaluation_intervall" not found in global (fields: evaluation_interval, rule_query_offset, external_labels, scrape_interval, scrape_timeout, query_log_file, scrape_protocols)']],
    ['bad duration', 'global:\n  evaluation_interval: 1.5m\n', ['c.yaml:2:24: invalid global.evaluation_interval "1.5m": expected a duration such as 15m, 1h30m or 7d']],
    ['bad label name', 'global:\n  external_labels: {"a-b": x}\n', [expect.stringMatching(/^c\.yaml:2:\d+: .*a-b/) as unknown as string]],
    ['rule_files not a list', 'rule_files: a.yaml\n', ['c.yaml:1:13: rule_files must be a list']],
    ['alertmanager without targets', 'alerting:\n  alertmanagers:\n    - scheme: http\n', ['c.yaml:3:7: an alertmanagers entry needs static_configs with targets (service discovery is not supported)']],
    ['alertmanager v1', 'alerting:\n  alertmanagers:\n    - api_version: v1\n      static_configs: [{targets: [a:1]}]\n', ['c.yaml:3:20: api_version "v1": letheql speaks Alertmanager\'s v2 API only']],
    ['service discovery', 'alerting:\n  alertmanagers:\n    - dns_sd_configs: []\n', ['c.yaml:3:7: field "dns_sd_configs" not found in alertmanagers entry (fields: static_configs, scheme, path_prefix, api_version, timeout)', 'c.yaml:3:7: an alertmanagers entry needs static_configs with targets (service discovery is not supported)']],
    ['remote_write without url', 'remote_write:\n  - name: x\n', ['c.yaml:2:5: a remote_write entry needs a url']],
    ['remote_write relabelling', 'remote_write:\n  - url: http://a/w\n    write_relabel_configs: []\n', ['c.yaml:3:5: remote_write write_relabel_configs is not supported by letheql (only url and name)']],
    ['bad URL', 'letheql:\n  webhook: ["not a url"]\n', ['c.yaml:2:12: letheql.webhook "not a url" is not a valid URL']],
    ['incomplete e-mail', 'letheql:\n  email: {smtp: "smtp://m:25"}\n', ['c.yaml:2:10: letheql.email needs smtp, from and to']],
    ['negative sample_lines', 'letheql:\n  sample_lines: -1\n', ['c.yaml:2:17: letheql.sample_lines must be a non-negative integer']],
    ['YAML syntax', 'global: [\n', [expect.stringMatching(/^c\.yaml:\d+:\d+: YAML: /) as unknown as string]],
    ['not a map', '- a\n', ['c.yaml:1:1: a ruler config must be a map (global, rule_files, alerting, remote_write, letheql)']],
  ];
  it.each(BAD)('refuses %s with its position', (_name, text, want) => {
    expect(issues(text)).toEqual(want);
  });
});

describe('expandRuleFiles', () => {
  it('expands * and ? in the file name, sorted, hidden files left out; plain paths kept', async () => {
    const listing: Record<string, string[]> = { '/r': ['b.yaml', 'a.yaml', '.hidden.yaml', 'a.yml', 'x1.yaml', 'notes.txt'] };
    const list = async (d: string) => listing[d] ?? [];
    expect(await expandRuleFiles(['/r/*.yaml', '/r/x?.yaml', '/plain.yaml'], list)).toEqual(['/r/a.yaml', '/r/b.yaml', '/r/x1.yaml', '/r/x1.yaml', '/plain.yaml']);
    await expect(expandRuleFiles(['/r*/a.yaml'], list)).rejects.toThrow(/wildcards are supported in the file name only/);
  });
});

describe('rules run --config', () => {
  async function run(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const sink = (into: string[]) => ({ write: (d: string | Uint8Array, cb?: () => void) => (into.push(Buffer.from(d).toString()), cb?.(), true) }) as never;
    const code = await main(args, { stdout: sink(out), stderr: sink(err), env: {} });
    return { code, out: out.join(''), err: err.join('') };
  }
  function dir(files: Record<string, string>): string {
    const d = mkdtempSync(join(tmpdir(), 'letheql-ruler-config-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(d, name, '..'), { recursive: true });
      writeFileSync(join(d, name), text);
    }
    return d;
  }
  const files = {
    'store/pod/shop/2024-09-24_13.log': '2024-09-24T13:00:30.000000Z[shop|api-1|app] ERROR declined\n',
    'rules/errors.yaml': 'groups:\n  - name: g\n    rules:\n      - alert: Errors\n        expr: pod{namespace="shop"} |= "ERROR"\n        labels: {severity: "{{ $externalLabels.cluster }}"}\n',
  };

  it('takes rule files, external labels, notifiers and sample lines from the file; flags add to it', async () => {
    const hook = await httpReceiver();
    try {
      const d = dir({
        ...files,
        'ruler.yml': `global:\n  external_labels: {cluster: prod}\nrule_files: ['rules/*.yaml']\nscrape_configs: []\nletheql:\n  sample_lines: 0\n  webhook: ['${hook.url}/from-file']\n`,
      });
      const r = await run(['rules', 'run', '--config', join(d, 'ruler.yml'), '--store', join(d, 'store'), '--once', '--now', '2024-09-24T13:01:10Z', '--webhook', `${hook.url}/from-flag`]);
      expect(r.err).toBe(`letheql: ${join(d, 'ruler.yml')}: skipping scrape_configs (not used by a ruler)\n`);
      expect(r.code).toBe(0);
      const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toEqual([{ time: '2024-09-24T13:01:00.000Z', group: 'g', alert: 'Errors', state: 'firing', value: 1, labels: { alertname: 'Errors', severity: 'prod' }, annotations: {}, activeAt: '2024-09-24T13:01:00.000Z' }]);
      expect(hook.received.map((x) => x.path).sort()).toEqual(['/from-file', '/from-flag']);
      const body = JSON.parse(hook.received[0]!.body.toString());
      expect(body).toMatchObject({ status: 'firing', alerts: [{ labels: { alertname: 'Errors', severity: 'prod', cluster: 'prod' } }] });
    } finally {
      await hook.close();
    }
  });

  it('exits 2 with the positioned error for a bad config, and names a config without rule files', async () => {
    const d = dir({ ...files, 'bad.yml': 'global:\n  evaluation_interval: soon\n', 'empty.yml': 'global: {}\n' });
    const bad = await run(['rules', 'run', '--config', join(d, 'bad.yml'), '--store', join(d, 'store'), '--once']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(`${join(d, 'bad.yml')}:2:24: invalid global.evaluation_interval "soon"`);
    const empty = await run(['rules', 'run', '--config', join(d, 'empty.yml'), '--store', join(d, 'store'), '--once']);
    expect(empty.code).toBe(2);
    expect(empty.err).toContain('has no rule_files and no --rules FILE was given');
    const missing = await run(['rules', 'run', '--config', join(d, 'nope.yml'), '--once']);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toContain(`cannot read config file ${join(d, 'nope.yml')}: ENOENT`);
  });
});
