/**
 * Ingest: the real Docker json-file samples of ../shared/fixtures/k8s (one with a corrupted
 * line), our own CRI (with partials), raw and syslog inputs named as the kubelet names them,
 * read back through the query engine; and the `letheql ingest` command.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { ingestFiles, type MalformedInput } from '../../src/write/ingest.js';
import { openStoreWriter } from '../../src/write/store-writer.js';
import { HAS_SHARED, SHARED, SHARED_REASON } from '../support/paths.js';
import { cliIO, queryAll, readStoreFiles, tempDir } from './helpers.js';

const K8S = join(SHARED, 'fixtures/k8s/docker-json');
const ID = 'f'.repeat(64);
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function dirs(): { store: string; input: string } {
  const t = tempDir('letheql-ingest-');
  cleanups.push(t.cleanup);
  mkdirSync(join(t.dir, 'in'));
  return { store: join(t.dir, 'store'), input: join(t.dir, 'in') };
}


describe.skipIf(!HAS_SHARED)(`ingest of the real Docker samples (${SHARED_REASON})`, () => {
  it('reads docker_corrupted.log: 20 records, line 7 reported as malformed, times kept to the nanosecond', async () => {
    const { store } = dirs();
    const w = await openStoreWriter(store);
    const malformed: MalformedInput[] = [];
    const file = join(K8S, 'beats/docker_corrupted.log');
    const report = await ingestFiles(w, [file], { format: 'docker', pod: { namespace: 'beats', pod: 'cross-compile', container: 'build' }, onMalformed: (m) => malformed.push(m) });
    await w.close();
    expect(report).toMatchObject({ records: 20, storeLines: 20, malformed: 1 });
    expect(report.files).toEqual([{ file, inputLines: 21, records: 20, storeLines: 20, malformed: 1 }]);
    expect(malformed.map((m) => [m.file, m.line, m.reason])).toEqual([[file, 7, 'not a JSON object (docker json-file line expected)']]);
    const files = readStoreFiles(store);
    expect([...files.keys()]).toEqual(['pod/beats/2016-03-02_22.log', 'pod/beats/2016-03-02_23.log']);
    expect(files.get('pod/beats/2016-03-02_23.log')).toBe('2016-03-02T23:00:15.140397826Z[beats|cross-compile|build] Moving binaries to host...\n');
    const { lines, stats } = await queryAll(store);
    expect(stats.badLines).toBe(0);
    expect(lines).toHaveLength(20);
    expect(lines[0]).toBe('2016-03-02T22:58:51.338462311Z[beats|cross-compile|build] Fetching main repository github.com/elastic/beats...');
    expect(lines[5]).toBe('2016-03-02T22:59:04.646276053Z[beats|cross-compile|build] # linux');
    expect(lines[6]).toBe('2016-03-02T22:59:04.653740138Z[beats|cross-compile|build] # binary'); // line 7 of the input is gone
    expect(lines[10]).toBe("2016-03-02T22:59:04.666497440Z[beats|cross-compile|build] sed -i.bk 's/device: any/device: en0/' /build/packetbeat-darwin.yml"); // 8 fraction digits in the input, 9 written
  });

  it('reads the fluent-bit samples: JSON inside the log field is unescaped once', async () => {
    const { store } = dirs();
    const w = await openStoreWriter(store);
    const samples: [string, string, string, string][] = [
      ['fluent-bit/socks_session-db-fdd649d68-cq5sp_istio-proxy.log', 'socks', 'session-db-fdd649d68-cq5sp', 'istio-proxy'],
      ['fluent-bit/socks_session-db-fdd649d68-cq5sp_session-db.log', 'socks', 'session-db-fdd649d68-cq5sp', 'session-db'],
      ['fluent-bit/default_apache-logs_apache-logs.log', 'default', 'apache-logs', 'apache-logs'],
    ];
    for (const [f, namespace, pod, container] of samples) {
      const r = await ingestFiles(w, [join(K8S, f)], { format: 'docker', pod: { namespace, pod, container } });
      expect(r).toMatchObject({ records: 1, malformed: 0 });
    }
    await w.close();
    const { lines } = await queryAll(store);
    expect(lines).toEqual([
      '2018-02-21T17:26:53.360920913Z[default|apache-logs|apache-logs] 20.38.166.115 - - [21/Feb/2018:17:26:53 +0000] "GET /intra-abdominally HTTP/1.0" 500 2216',
      '2018-09-19T18:58:22.134877280Z[socks|session-db-fdd649d68-cq5sp|session-db] 1:M 19 Sep 18:58:22.134 * Background saving terminated with success',
      expect.stringMatching(/^2018-09-21T02:56:06\.978292233Z\[socks\|session-db-fdd649d68-cq5sp\|istio-proxy\] \{"level":"info","time":"2018-09-21T02:56:05\.979833Z",.*"totalSentBytes":1671996\}$/),
    ]);
  });
});

describe('ingest of our own inputs', () => {
  it('CRI with partials, metadata from the kubelet file name', async () => {
    const { store, input } = dirs();
    const file = join(input, `api-7d9f_shop_app-${ID}.log`);
    writeFileSync(
      file,
      [
        '2024-09-24T15:00:01.000000001Z stdout F GET /cart 200',
        '2024-09-24T15:00:02Z stderr P {"msg":"a long ',
        '2024-09-24T15:00:02.5Z stderr P line split ',
        '2024-09-24T15:00:03Z stderr F by the runtime"}',
        'garbage',
        '2024-09-24T16:00:00Z stdout F next hour',
        '',
      ].join('\n'),
    );
    const w = await openStoreWriter(store);
    const r = await ingestFiles(w, [file], { format: 'cri' });
    await w.close();
    expect(r).toMatchObject({ records: 3, malformed: 1, malformedSamples: [{ file, line: 5, reason: expect.stringContaining('not a CRI line') }] });
    const { lines } = await queryAll(store);
    expect(lines).toEqual([
      '2024-09-24T15:00:01.000000001Z[shop|api-7d9f|app] GET /cart 200',
      '2024-09-24T15:00:02.000000Z[shop|api-7d9f|app] {"msg":"a long line split by the runtime"}',
      '2024-09-24T16:00:00.000000Z[shop|api-7d9f|app] next hour',
    ]);
  });

  it('raw lines take --time; syslog lines take host and tag; a label the store cannot hold is a malformed line', async () => {
    const { store, input } = dirs();
    const raw = join(input, 'app.txt');
    writeFileSync(raw, 'first\r\nsecond\n\nthird without newline');
    const syslog = join(input, 'syslog');
    writeFileSync(syslog, 'Sep 24 15:00:01 node-a kubelet[1]: I0924 ready\nSep 24 15:00:02 node|bad sshd[2]: x\nnot syslog\n<30>1 2024-09-24T15:00:03Z node-a containerd - - - started\n');
    const w = await openStoreWriter(store);
    const rawReport = await ingestFiles(w, [raw], { format: 'raw', pod: { namespace: 'shop', pod: 'web', container: 'app' }, rawTime: '2024-09-24T14:00:00Z' });
    const sys = await ingestFiles(w, [syslog], { format: 'syslog', now: () => 1727190000000000000n });
    await w.close();
    expect(rawReport).toMatchObject({ records: 3, malformed: 0 });
    expect(sys.malformedSamples.map((m) => [m.line, m.reason])).toEqual([
      [2, expect.stringContaining('invalid node "node|bad"')],
      [3, expect.stringContaining('not a syslog line')],
    ]);
    expect((await queryAll(store, 'pod')).lines).toEqual(['first', 'second', 'third without newline'].map((m) => `2024-09-24T14:00:00.000000Z[shop|web|app] ${m}`));
    expect((await queryAll(store, 'node')).lines).toEqual(['2024-09-24T15:00:01.000000Z[node-a|kubelet] I0924 ready', '2024-09-24T15:00:03.000000Z[node-a|containerd] started']);
  });

  it('refuses a file whose pod cannot be told, before writing anything', async () => {
    const { store, input } = dirs();
    writeFileSync(join(input, 'a.log'), '2024-09-24T15:00:01Z stdout F x\n');
    const w = await openStoreWriter(store);
    await expect(ingestFiles(w, [join(input, 'a.log')], { format: 'cri' })).rejects.toThrow(/cannot tell the pod/);
    await expect(ingestFiles(w, [join(input, 'a.log')], { format: 'cri', pod: { namespace: 'a/b', pod: 'p', container: 'c' } })).rejects.toThrow(/invalid namespace "a\/b"/);
    await w.close();
    expect(readStoreFiles(store).size).toBe(0);
  });
});

describe('letheql ingest', () => {
  it('imports, reports malformed lines as file:line on stderr, exits 0', async () => {
    const { store, input } = dirs();
    const file = join(input, `web_default_nginx-${ID}.log`);
    writeFileSync(file, '{"log":"GET /\\n","stream":"stdout","time":"2024-09-24T15:00:01Z"}\n{"log":\n');
    const c = cliIO();
    expect(await main(['ingest', '--store', store, '--format', 'docker', file], c.io)).toBe(0);
    expect(c.out()).toBe(`ingested 1 records (1 lines) from 1 file into ${store}; 1 malformed line skipped\n`);
    expect(c.err()).toBe(`letheql ingest: malformed ${file}:2: not a JSON object (docker json-file line expected): {"log":\n`);
    expect(readFileSync(join(store, 'pod/default/2024-09-24_15.log'), 'utf8')).toBe('2024-09-24T15:00:01.000000Z[default|web|nginx] GET /\n');
  });

  it.each([
    [['--format', 'docker', 'x'], /missing --store/],
    [['--store', 'S', 'x'], /missing --format/],
    [['--store', 'S', '--format', 'json', 'x'], /invalid --format "json"/],
    [['--store', 'S', '--format', 'cri'], /missing FILE/],
    [['--store', 'S', '--format', 'cri', '--node', 'n', 'x'], /--node is for raw or syslog/],
    [['--store', 'S', '--format', 'raw', '--node', 'n', '--pod', 'p', 'x'], /either --node/],
    [['--store', 'S', '--format', 'raw', '/no/such/file'], /no such input file/],
    [['--store', 'S', '--format', 'syslog', '--utc-offset', '9', 'IN'], /invalid --utc-offset/],
    [['--store', 'S', '--format', 'cri', 'IN'], /cannot tell the pod/],
    [['--store', 'S', '--format', 'raw', '--bogus', 'x'], /Unknown option '--bogus'/],
    // Issue 16 point 6: a time no reader can read is refused before writing (it was accepted and written).
    [['--store', 'S', '--format', 'raw', '--namespace', 'a', '--pod', 'b', '--container', 'c', '--time', '0001-01-01T00:00:00Z', 'IN'], /invalid raw time \(--time\) 0001-01-01T00:00:00\.000000000Z: outside what a store can hold \(int64 nanoseconds, 1677-09-21T00:12:43\.145224192Z to 2262-04-11T23:47:16\.854775807Z/],
    [['--store', 'S', '--format', 'raw', '--namespace', 'a', '--pod', 'b', '--container', 'c', '--now', '9999-01-01T00:00:00Z', 'IN'], /invalid --now 9999-01-01T00:00:00\.000000000Z: outside what a store can hold/],
  ] as [string[], RegExp][])('exit 2: %j', async (args, message) => {
    const { store, input } = dirs();
    writeFileSync(join(input, 'in.log'), 'x\n');
    const c = cliIO();
    const argv = args.map((a) => (a === 'S' ? store : a === 'IN' ? join(input, 'in.log') : a));
    expect(await main(['ingest', ...argv], c.io)).toBe(2);
    expect(c.err()).toMatch(message);
    expect(readStoreFiles(store).size).toBe(0);
  });
});
