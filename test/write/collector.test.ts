/**
 * The collector, on real files in a temporary /var/log/containers: new files, rotation by
 * rename (the old file finished first), truncation, deletion while open, restart from the
 * checkpoint (also after a rotation while stopped), a half-done batch completed from the
 * journal; and a child collector killed with SIGKILL several times while logs are written
 * and rotated: every input line ends up in the store exactly once, in order per container.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, renameSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readCheckpoint, writeCheckpoint } from '../../src/write/checkpoint.js';
import { startCollector, type Collector, type CollectorEvent } from '../../src/write/collector.js';
import { defaultCheckpointPath } from '../../src/write/layout.js';
import { openStoreWriter } from '../../src/write/store-writer.js';
import { bundleChild } from './children/bundle.js';
import { queryAll, readStoreFiles, tempDir } from './helpers.js';

const ID = 'a'.repeat(64);
const BASE_MS = Date.parse('2024-09-24T15:00:00Z');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup(): { store: string; logs: string } {
  const t = tempDir('letheql-collect-');
  cleanups.push(t.cleanup);
  const logs = join(t.dir, 'containers');
  mkdirSync(logs);
  return { store: join(t.dir, 'store'), logs };
}

/** A CRI line for sequence number `n` of a container (time grows with n). */
const cri = (tag: string, n: number, msg = `${tag}-${n}`): string => `${new Date(BASE_MS + n).toISOString()} stdout F ${msg}\n`;
const docker = (tag: string, n: number): string => JSON.stringify({ log: `${tag}-${n}\n`, stream: 'stdout', time: new Date(BASE_MS + n).toISOString() }) + '\n';

/** Messages of one container in the store, in time order (the query engine reads them back). */
async function messages(store: string, pod: string): Promise<string[]> {
  const { lines } = await queryAll(store);
  return lines.filter((l) => l.includes(`|${pod}|`)).map((l) => l.slice(l.indexOf('] ') + 2));
}
const seq = (tag: string, from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `${tag}-${from + i}`);

async function start(store: string, logs: string, events: CollectorEvent[] = []): Promise<Collector> {
  const c = await startCollector({ store, containerDirs: [logs], pollMs: 25, watch: false, onEvent: (e) => events.push(e) });
  let stopped = false;
  const stop = c.stop.bind(c);
  cleanups.push(async () => {
    if (!stopped) await stop();
  });
  return Object.assign(c, {
    stop: () => {
      stopped = true;
      return stop();
    },
  });
}

describe('collector (in process)', () => {
  it('keeps the nanoseconds of CRI and Docker times (6 digits where they are whole microseconds)', async () => {
    const { store, logs } = setup();
    writeFileSync(join(logs, `n_shop_app-${ID}.log`), '2024-09-24T15:00:00.123456789Z stdout F ns line\n2024-09-24T15:00:01.5Z stdout F half second\n');
    writeFileSync(join(logs, `d_shop_app-${ID}.log`), JSON.stringify({ log: 'docker ns\n', stream: 'stdout', time: '2024-09-24T15:00:02.000000001Z' }) + '\n');
    const col = await start(store, logs);
    await col.waitForIdle();
    await col.stop();
    const { lines } = await queryAll(store);
    expect(lines).toEqual([
      '2024-09-24T15:00:00.123456789Z[shop|n|app] ns line',
      '2024-09-24T15:00:01.500000Z[shop|n|app] half second',
      '2024-09-24T15:00:02.000000001Z[shop|d|app] docker ns',
    ]);
  });

  it('follows new files, rotation by rename, truncation and deletion', async () => {
    const { store, logs } = setup();
    const a = join(logs, `a_shop_app-${ID}.log`);
    const b = join(logs, `b_shop_app-${ID}.log`);
    const c = join(logs, `c_shop_app-${ID}.log`);
    writeFileSync(a, cri('a', 1) + cri('a', 2));
    writeFileSync(join(logs, 'unnamed.log'), cri('x', 1));
    const events: CollectorEvent[] = [];
    const col = await start(store, logs, events);
    await col.waitForIdle();
    expect(events).toContainEqual({ type: 'skipped', path: join(logs, 'unnamed.log'), reason: 'name is not <pod>_<namespace>_<container>-<64 hex id>.log' });

    // Rotation by rename: the runtime writes one more line to the renamed file, then a new one.
    appendFileSync(a, cri('a', 3));
    renameSync(a, `${a}.20240924-150000`);
    appendFileSync(`${a}.20240924-150000`, cri('a', 4));
    writeFileSync(a, cri('a', 5));
    // Docker json-file in a new file, with a partial entry joined.
    writeFileSync(b, docker('b', 1) + JSON.stringify({ log: 'b-', stream: 'stdout', time: new Date(BASE_MS + 2).toISOString() }) + '\n' + JSON.stringify({ log: '2\n', stream: 'stdout', time: new Date(BASE_MS + 3).toISOString() }) + '\n');
    writeFileSync(c, cri('c', 1) + cri('c', 2));
    await col.waitForIdle();

    // Truncation (copytruncate): shorter than what was read, then new lines.
    truncateSync(c, 0);
    appendFileSync(c, cri('c', 3));
    await col.waitForIdle();
    // Deletion while open: lines appended just before the unlink are still read.
    appendFileSync(b, docker('b', 3));
    unlinkSync(b);
    await col.waitForIdle();
    const stats = await col.stop();

    expect(await messages(store, 'a')).toEqual(seq('a', 1, 5));
    expect(await messages(store, 'b')).toEqual(seq('b', 1, 3));
    expect(await messages(store, 'c')).toEqual(seq('c', 1, 3));
    expect(stats).toMatchObject({ rotations: 1, truncations: 1, malformed: 0, errors: 0, records: 11 });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['rotated', 'truncated', 'deleted', 'finished']));
    // The deleted file left the checkpoint; the others are at their ends.
    const ckpt = await readCheckpoint(defaultCheckpointPath(store));
    expect(Object.keys(ckpt!.sources).sort()).toEqual([a, c]);
    expect(ckpt!.sources[a]!.offset).toBe(cri('a', 5).length);
    expect(ckpt!.pending).toBeNull();
  });

  it('restarts from the checkpoint without loss or duplication, also after a rotation while stopped', async () => {
    const { store, logs } = setup();
    const a = join(logs, `a_shop_app-${ID}.log`);
    writeFileSync(a, cri('a', 1) + cri('a', 2) + '2024-09-24T15:00:00.003Z stdout P a-\n');
    let col = await start(store, logs);
    await col.waitForIdle();
    await col.stop();
    // While stopped: the partial is finished, more lines, then a rename rotation.
    appendFileSync(a, '2024-09-24T15:00:00.003Z stdout F 3-joined\n' + cri('a', 4));
    renameSync(a, `${a}.1`);
    appendFileSync(`${a}.1`, cri('a', 5));
    writeFileSync(a, cri('a', 6));
    const events: CollectorEvent[] = [];
    col = await start(store, logs, events);
    await col.waitForIdle();
    appendFileSync(a, cri('a', 7));
    await col.waitForIdle();
    await col.stop();
    expect(events).toContainEqual({ type: 'resumed-rotated', path: a, from: `${a}.1` });
    expect(await messages(store, 'a')).toEqual(['a-1', 'a-2', 'a-3-joined', 'a-4', 'a-5', 'a-6', 'a-7']);
  });

  it('completes a batch journalled before a crash, appending only what had not landed', async () => {
    const { store, logs } = setup();
    const a = join(logs, `a_shop_app-${ID}.log`);
    writeFileSync(a, cri('a', 1));
    let col = await start(store, logs);
    await col.waitForIdle();
    await col.stop();
    // Simulate a crash in the middle of the next cycle: the journal says a-2 and a-3 go to
    // the store and the source moves past them; only a-2 reached the file.
    appendFileSync(a, cri('a', 2) + cri('a', 3));
    const ckptPath = defaultCheckpointPath(store);
    const ckpt = (await readCheckpoint(ckptPath))!;
    const rel = 'pod/shop/2024-09-24_15.log';
    const before = readFileSync(join(store, rel)).length;
    const l2 = '2024-09-24T15:00:00.002000Z[shop|a|app] a-2\n';
    const l3 = '2024-09-24T15:00:00.003000Z[shop|a|app] a-3\n';
    const moved = { ...ckpt.sources, [a]: { ...ckpt.sources[a]!, offset: readFileSync(a).length } };
    await writeCheckpoint(ckptPath, { version: 1, sources: ckpt.sources, pending: { sources: moved, files: [{ path: rel, before, data: Buffer.from(l2 + l3).toString('base64') }] } }, true);
    appendFileSync(join(store, rel), l2 + l3.slice(0, 10)); // a-2 landed, a-3 torn
    const events: CollectorEvent[] = [];
    col = await start(store, logs, events);
    await col.waitForIdle();
    await col.stop();
    expect(events.filter((e) => e.type === 'repaired' || e.type === 'replayed').map((e) => e.type)).toEqual(['repaired', 'replayed']);
    expect(await messages(store, 'a')).toEqual(seq('a', 1, 3));
  });

  it('--no-follow-outside DIR: a link in the watched directory to a file elsewhere is skipped, never read (issue 16 point 9)', async () => {
    const { store, logs } = setup();
    const root = join(logs, '..');
    mkdirSync(join(root, 'pods/shop_a_uid/app'), { recursive: true });
    writeFileSync(join(root, 'pods/shop_a_uid/app/0.log'), cri('a', 1));
    symlinkSync(join(root, 'pods/shop_a_uid/app/0.log'), join(logs, `a_shop_app-${ID}.log`));
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/secret'), cri('secret', 1));
    symlinkSync(join(root, 'etc/secret'), join(logs, `evil_shop_app-${ID}.log`));
    const events: CollectorEvent[] = [];
    const c = await startCollector({ store, containerDirs: [logs], followOnlyUnder: [join(root, 'pods')], pollMs: 25, watch: false, onEvent: (e) => events.push(e) });
    await c.waitForIdle();
    await c.stop();
    expect(await messages(store, 'a')).toEqual(['a-1']);
    expect(await messages(store, 'evil')).toEqual([]);
    expect(events.filter((e) => e.type === 'skipped')).toEqual([
      { type: 'skipped', path: join(logs, `evil_shop_app-${ID}.log`), reason: `it leads to ${join(root, 'etc/secret')}, outside ${join(root, 'pods')} (--no-follow-outside)` },
    ]);
    // Without the option, links are followed anywhere (the kubelet layout needs it).
    const other = join(root, 'store2');
    const d = await startCollector({ store: other, containerDirs: [logs], pollMs: 25, watch: false });
    await d.waitForIdle();
    await d.stop();
    expect(await messages(other, 'evil')).toEqual(['secret-1']);
  });

  it('letheql collect runs until its signal and reports totals', async () => {
    const { store, logs } = setup();
    writeFileSync(join(logs, `a_shop_app-${ID}.log`), cri('a', 1));
    writeFileSync(join(logs, 'syslog'), '2024-09-24T15:00:01+00:00 node-a kubelet[1]: ok\n');
    const out: string[] = [];
    const io = { stdout: { write: (d: string, cb?: () => void) => (out.push(String(d)), cb?.(), true) }, stderr: { write: (_d: string, cb?: () => void) => (cb?.(), true) }, env: {} } as never;
    const ac = new AbortController();
    const { runWriteCommand } = await import('../../src/cli/write-commands.js');
    const run = runWriteCommand('collect', ['--store', store, '--from', logs, '--from-node', join(logs, 'syslog'), '--poll-ms', '20', '--no-follow-outside', logs], io, ac.signal);
    for (let i = 0; i < 200 && readStoreFiles(store).size < 2; i++) await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    expect(await run).toBe(0);
    expect(out.join('')).toMatch(/^collected 2 records \(2 lines, \d+ input bytes\); 0 malformed, 0 rotations, 0 truncations, 0 errors\n$/);
    expect([...readStoreFiles(store).keys()]).toEqual(['pod/shop/2024-09-24_15.log', 'node/node-a/2024-09-24_15.log']);
    expect(await main(['collect', '--store', store], io)).toBe(2);
  });
});

describe('collector killed with SIGKILL while logs are written and rotated', () => {
  const tmp = tempDir('letheql-collect-kill-');
  let bundle = '';
  beforeAll(async () => {
    bundle = await bundleChild('collect-child', tmp.dir);
  });
  afterAll(() => tmp.cleanup());

  it('ends with every line exactly once, in order per container', async () => {
    const store = join(tmp.dir, 'store');
    const logs = join(tmp.dir, 'containers');
    mkdirSync(logs);
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const files = { a: join(logs, `a_ns_app-${ID}.log`), b: join(logs, `b_ns_app-${ID}.log`) };
    const next = { a: 0, b: 0 };
    let rotations = 0;
    const writeSome = (): void => {
      for (const k of ['a', 'b'] as const) {
        const n = 1 + Math.floor(random() * 20);
        let text = '';
        for (let i = 0; i < n; i++) {
          const s = ++next[k];
          if (k === 'a' && s % 7 === 0) {
            // A CRI line split by the runtime into two partials and a final piece.
            const t = new Date(BASE_MS + s).toISOString();
            const msg = `${k}-${s}`;
            text += `${t} stdout P ${msg.slice(0, 2)}\n${t} stdout P ${msg.slice(2, 3)}\n${t} stdout F ${msg.slice(3)}\n`;
          } else text += k === 'a' ? cri(k, s) : docker(k, s);
        }
        appendFileSync(files[k], text);
        if (random() < 0.15) {
          renameSync(files[k], `${files[k]}.${++rotations}`);
          appendFileSync(`${files[k]}.${rotations}`, k === 'a' ? cri(k, ++next[k]) : docker(k, ++next[k])); // a last line to the old file
          writeFileSync(files[k], '');
        }
      }
    };
    const spawnChild = (): Promise<ChildProcess> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [bundle, store, logs, '15'], { stdio: ['ignore', 'pipe', 'inherit'] });
        child.stdout!.setEncoding('utf8').once('data', () => resolve(child));
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`collector child exited early (${code})`)));
      });
    const exited = (child: ChildProcess): Promise<unknown> => new Promise((r) => child.once('exit', (code, signal) => r(signal ?? code)));

    for (let round = 0; round < 6; round++) {
      const child = await spawnChild();
      child.removeAllListeners('exit');
      const steps = 2 + Math.floor(random() * 6);
      for (let i = 0; i < steps; i++) {
        writeSome();
        await new Promise((r) => setTimeout(r, 10 + random() * 40));
      }
      const gone = exited(child);
      child.kill('SIGKILL');
      expect(await gone).toBe('SIGKILL');
      writeSome(); // while the collector is down
    }
    // Last run: catch up, then stop cleanly.
    const child = await spawnChild();
    child.removeAllListeners('exit');
    const total = next.a + next.b;
    for (let i = 0; i < 400; i++) {
      let count = 0;
      for (const text of readStoreFiles(store).values()) count += text.split('\n').length - 1;
      if (count >= total) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const gone = exited(child);
    child.kill('SIGTERM');
    expect(await gone).toBe(0);

    expect(await messages(store, 'a')).toEqual(seq('a', 1, next.a));
    expect(await messages(store, 'b')).toEqual(seq('b', 1, next.b));
    expect(rotations).toBeGreaterThan(0);
  });
});
