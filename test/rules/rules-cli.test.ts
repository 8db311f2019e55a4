/**
 * `letheql rules test|run|replay` in-process: the README's example rule file and its unit
 * tests run as they stand in README.md; a failing expectation exits 1 with a diff; `run
 * --once` and `replay` over a store on disk.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { httpReceiver } from '../support/services.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) => ({ write: (d: string | Uint8Array, cb?: () => void) => (into.push(Buffer.from(d).toString()), cb?.(), true) }) as never;
  const code = await main(args, { stdout: sink(out), stderr: sink(err), env: {} });
  return { code, out: out.join(''), err: err.join('') };
}

/** The README's yaml block that starts with `# NAME`. */
function readmeBlock(name: string): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const m = new RegExp('```yaml\\n# ' + name.replace('.', '\\.') + '\\n([\\s\\S]*?)```').exec(readme);
  if (!m) throw new Error(`README.md has no yaml block "# ${name}"`);
  return m[1]!;
}

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'letheql-rules-cli-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(d, name, '..'), { recursive: true });
    writeFileSync(join(d, name), text);
  }
  return d;
}

describe('letheql rules', () => {
  it("runs the README's rules and their unit tests (the CB-Dragonfly warning/critical pattern)", async () => {
    const d = dir({ 'rules.yaml': readmeBlock('rules.yaml'), 'rules.test.yaml': readmeBlock('rules.test.yaml') });
    expect(await run(['rules', 'check', join(d, 'rules.yaml')])).toMatchObject({ code: 0 });
    const r = await run(['rules', 'test', join(d, 'rules.test.yaml')]);
    expect(r).toEqual({ code: 0, out: `${join(d, 'rules.test.yaml')}: SUCCESS (1 tests)\n`, err: '' });
  });

  it('exits 1 with expected and actual alerts when an expectation fails', async () => {
    const wrong = readmeBlock('rules.test.yaml').replace('summary: 24 errors', 'summary: 25 errors').replace('value: 134', 'value: 135');
    const d = dir({ 'rules.yaml': readmeBlock('rules.yaml'), 't.yaml': wrong });
    const r = await run(['rules', 'test', join(d, 't.yaml')]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `${join(d, 't.yaml')}: FAILED
  a trickle of errors warns, a flood pages, silence is noticed: alertname ShopErrors, time 6m:
  expected (-) / got (+):
    - labels: {namespace="shop", severity="warning"}  annotations: {summary="25 errors in shop in 5 minutes"}
    + labels: {namespace="shop", severity="warning"}  annotations: {summary="24 errors in shop in 5 minutes"}
  a trickle of errors warns, a flood pages, silence is noticed: expr sum(count_over_time(pod{namespace="shop"} |= "ERROR" [15m])), time 15m:
  expected (-) / got (+):
    - {} 135
    + {} 134
`,
    );
  });

  it('exits 2 on a bad test file or a bad rule file', async () => {
    const d = dir({ 'rules.yaml': 'groups:\n  - name: g\n    rules:\n      - alert: A\n', 't.yaml': 'rule_files: [rules.yaml]\ntests:\n  - input_logs:\n      - stream: pod{pod="x"}\n        lines: ["0s hi"]\n', 'u.yaml': 'rule_files: []\ntests:\n  - input_logs:\n      - stream: pod{pod="x"}\n        lines: ["0s hi"]\n' });
    expect(await run(['rules', 'test', join(d, 't.yaml')])).toMatchObject({ code: 2, err: `letheql: rules.yaml:4:9: field 'expr' must be set in rule\n` });
    expect(await run(['rules', 'test', join(d, 'u.yaml')])).toMatchObject({ code: 2, err: expect.stringContaining('input_logs: stream "pod{pod=\\"x\\"}": needs namespace="…"') });
    expect(await run(['rules', 'frobnicate'])).toMatchObject({ code: 2 });
    expect(await run(['rules', 'run', '--store', d])).toMatchObject({ code: 2, err: expect.stringContaining('missing --rules FILE') });
  });

  const storeFiles = {
    'store/pod/shop/2024-09-24_13.log': ['2024-09-24T13:00:30.000000Z[shop|api-1|api] ERROR declined', '2024-09-24T13:01:30.000000Z[shop|api-1|api] ERROR declined', '2024-09-24T13:03:30.000000Z[shop|api-1|api] ok'].join('\n') + '\n',
    'rules.yaml': `groups:\n  - name: g\n    interval: 1m\n    rules:\n      - alert: Errors\n        expr: pod{namespace="shop"} |= "ERROR"\n        for: 1m\n      - record: shop:lines:1m\n        expr: sum(count_over_time(pod{namespace="shop"} [1m]))\n`,
  };

  it('run --once evaluates at --now and prints alerts and recorded samples as JSON lines', async () => {
    const d = dir(storeFiles);
    const r = await run(['rules', 'run', '--rules', join(d, 'rules.yaml'), '--store', join(d, 'store'), '--once', '--now', '2024-09-24T13:01:10Z']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { time: '2024-09-24T13:01:00.000Z', group: 'g', alert: 'Errors', state: 'pending', value: 1, labels: { alertname: 'Errors' }, annotations: { sample_lines: 'ERROR declined' }, activeAt: '2024-09-24T13:01:00.000Z' },
      { time: '2024-09-24T13:01:00.000Z', record: 'shop:lines:1m', labels: { __name__: 'shop:lines:1m' }, value: 1 },
    ]);
  });

  it('run --once --webhook tells a webhook receiver of firing alerts; e-mail flags are checked', async () => {
    const d = dir({ ...storeFiles, 'rules.yaml': storeFiles['rules.yaml'].replace('        for: 1m\n', '') });
    const hook = await httpReceiver();
    try {
      const r = await run(['rules', 'run', '--rules', join(d, 'rules.yaml'), '--store', join(d, 'store'), '--once', '--now', '2024-09-24T13:01:10Z', '--webhook', `${hook.url}/hook`]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const body = JSON.parse(hook.received[0]!.body.toString());
      expect(body).toMatchObject({ version: '4', status: 'firing', alerts: [{ labels: { alertname: 'Errors' } }] });
    } finally {
      await hook.close();
    }
    expect(await run(['rules', 'run', '--rules', join(d, 'rules.yaml'), '--store', join(d, 'store'), '--once', '--smtp', 'smtp://127.0.0.1:1'])).toMatchObject({ code: 2, err: expect.stringContaining('e-mail needs --smtp URL, --email-from ADDR and --email-to ADDR') });
  });

  it('run --once --state: each run is a new process; a pending timer survives, a firing alert is not sent again early', async () => {
    const d = dir(storeFiles);
    const hook = await httpReceiver();
    const once = (now: string) => run(['rules', 'run', '--rules', join(d, 'rules.yaml'), '--store', join(d, 'store'), '--once', '--now', now, '--state', join(d, 'state.json'), '--webhook', hook.url, '--sample-lines', '0', '--resend-delay', '10s']);
    try {
      const states = async (now: string) => {
        const r = await once(now);
        expect(r.code).toBe(0);
        return r.out.trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.alert).map((x) => [x.state, x.activeAt]);
      };
      expect(await states('2024-09-24T13:01:05Z')).toEqual([['pending', '2024-09-24T13:01:00.000Z']]);
      // "Killed" while pending: the next process keeps activeAt, so `for: 1m` is met at 13:02.
      expect(await states('2024-09-24T13:02:05Z')).toEqual([['firing', '2024-09-24T13:01:00.000Z']]);
      expect(hook.received.length).toBe(1);
      // "Killed" while firing: the same tick again and the next one send nothing new (resend delay 1m).
      expect(await states('2024-09-24T13:02:40Z')).toEqual([['firing', '2024-09-24T13:01:00.000Z']]);
      expect(hook.received.length).toBe(1);
      // The next tick in a new process, still firing (one more error line): the webhook was
      // told at 13:02 (repeat interval 4h), which the state file remembers, so it is not told again.
      appendFileSync(join(d, 'store/pod/shop/2024-09-24_13.log'), '2024-09-24T13:02:30.000000Z[shop|api-1|api] ERROR declined\n');
      expect(await states('2024-09-24T13:03:05Z')).toEqual([['firing', '2024-09-24T13:01:00.000Z']]);
      expect(hook.received.length).toBe(1);
      expect(JSON.parse(readFileSync(join(d, 'state.json'), 'utf8')).notified).toEqual({ [JSON.stringify([['alertname', 'Errors']])]: { resolved: false, atNs: '1727182920000000000' } });
    } finally {
      await hook.close();
    }
  });

  it('replay prints each transition over the range', async () => {
    const d = dir(storeFiles);
    const r = await run(['rules', 'replay', '--rules', join(d, 'rules.yaml'), '--store', join(d, 'store'), '--from', '2024-09-24T13:00:00Z', '--to', '2024-09-24T13:05:00Z']);
    expect(r).toEqual({
      code: 0,
      err: '',
      out: [
        '2024-09-24T13:01:00.000Z pending Errors{"alertname":"Errors"} value=1',
        '2024-09-24T13:02:00.000Z firing Errors{"alertname":"Errors"} value=1',
        '2024-09-24T13:03:00.000Z resolved Errors{"alertname":"Errors"} value=1',
        '',
      ].join('\n'),
    });
  });
});
