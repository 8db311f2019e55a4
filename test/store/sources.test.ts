/**
 * Chunk sources: the filesystem source on our fixture store and on Lethe's, the memory
 * source built from the same files (listing and bytes must be identical), picked `File`s,
 * positional reads (also into a view of a larger buffer), and path-escape rejection.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LetheQLError } from '../../src/errors.js';
import type { LogType } from '../../src/model.js';
import { FsChunkSource } from '../../src/platform/node/fs-source.js';
import { MemoryChunkSource } from '../../src/store/memory-source.js';
import type { ChunkSource } from '../../src/store/types.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/store', import.meta.url));
const EDGE = fileURLToPath(new URL('../../fixtures/edge-store', import.meta.url));
const LETHE = fileURLToPath(new URL('../../../shared/fixtures/lethe-testdata/log', import.meta.url));
const HAS_LETHE = (() => {
  try {
    return statSync(LETHE).isDirectory();
  } catch {
    return false;
  }
})();
const NO_LETHE = "../shared/fixtures/lethe-testdata is absent (fresh clone): Lethe's store tests need it";
const LOG_TYPES: LogType[] = ['pod', 'node'];

/** Every file of a store directory as `path → bytes`, read with plain fs. */
function readTree(root: string): Map<string, Uint8Array<ArrayBuffer>> {
  const out = new Map<string, Uint8Array<ArrayBuffer>>();
  for (const lt of LOG_TYPES) {
    let targets: string[] = [];
    try {
      targets = readdirSync(join(root, lt));
    } catch {
      continue;
    }
    for (const t of targets) for (const f of readdirSync(join(root, lt, t))) out.set(`${lt}/${t}/${f}`, new Uint8Array(readFileSync(join(root, lt, t, f))));
  }
  return out;
}

/** Everything a source exposes, read through its API in small odd-sized chunks. */
async function snapshot(source: ChunkSource, chunk = 4093): Promise<Record<string, { size: number; bytes: string }>> {
  const out: Record<string, { size: number; bytes: string }> = {};
  for (const lt of LOG_TYPES) {
    for (const target of await source.listTargets(lt)) {
      for (const { name, size } of await source.listFiles(lt, target)) {
        const reader = await source.open(lt, target, name);
        expect(reader.size).toBe(size);
        const parts: Uint8Array[] = [];
        for (let pos = 0; ; ) {
          const buf = new Uint8Array(chunk);
          const n = await reader.read(buf, pos);
          if (n === 0) break;
          parts.push(buf.subarray(0, n));
          pos += n;
        }
        await reader.close();
        out[`${lt}/${target}/${name}`] = { size, bytes: Buffer.concat(parts).toString('base64') };
      }
    }
  }
  return out;
}

/** A listing's names and sizes: what every source reports (the file system adds `mtimeMs`). */
const nameSize = (es: { name: string; size: number }[]): { name: string; size: number }[] => es.map(({ name, size }) => ({ name, size }));

async function listing(source: ChunkSource): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const lt of LOG_TYPES) for (const t of await source.listTargets(lt)) out[`${lt}/${t}`] = nameSize(await source.listFiles(lt, t));
  return out;
}

// Both I/O modes: async (FileHandle, the default) and sync (the scan workers' readSync).
describe.each([
  ['async', false],
  ['sync', true],
])('FsChunkSource on fixtures/store (%s reads)', (_mode, sync) => {
  const src = new FsChunkSource(FIXTURE, { sync });

  it('says whether it reads synchronously', () => {
    expect(src.readsSynchronously).toBe(sync);
  });

  it('opening a missing file fails with ENOENT (a vanished file)', async () => {
    await expect(src.open('pod', 'shop', '2000-01-01_00.log')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('lists targets per log type, sorted', async () => {
    expect(await src.listTargets('pod')).toEqual(['default', 'kube-system', 'shop']);
    expect(await src.listTargets('node')).toEqual(['node-a', 'node-b']);
  });

  it('lists files with sizes, sorted by name', async () => {
    const files = await src.listFiles('pod', 'shop');
    expect(files.map((f) => f.name)).toEqual(['2024-09-24_13.log', '2024-09-24_14.log', '2024-09-24_15.log']);
    for (const f of files) expect(f.size).toBe(statSync(join(FIXTURE, 'pod/shop', f.name)).size);
    // and the mtime that target summaries are checked against
    for (const f of files) expect(f.mtimeMs).toBe(statSync(join(FIXTURE, 'pod/shop', f.name)).mtimeMs);
  });

  it('returns [] for a missing target directory', async () => {
    expect(nameSize(await src.listFiles('pod', 'no-such-namespace'))).toEqual([]);
  });

  it('reads every file byte for byte, in chunks of many sizes', async () => {
    const expected = readTree(FIXTURE);
    for (const chunk of [61, 4096, 1 << 20]) {
      const snap = await snapshot(src, chunk);
      expect(Object.keys(snap).sort()).toEqual([...expected.keys()].sort());
      for (const [path, bytes] of expected) expect(snap[path]!.bytes, `${path} chunk ${chunk}`).toBe(Buffer.from(bytes).toString('base64'));
    }
  });

  it.each([
    ['at 0', 0, 16],
    ['in the middle', 1000, 64],
    ['straddling the end', -10, 64],
    ['at the end', 0 /* replaced by size */, 8],
    ['past the end', 10_000_000, 8],
  ])('reads at a position: %s', async (label, pos, len) => {
    const path = 'pod/shop/2024-09-24_13.log';
    const file = readFileSync(join(FIXTURE, path));
    const position = label === 'at the end' ? file.length : pos < 0 ? file.length + pos : pos;
    const reader = await src.open('pod', 'shop', '2024-09-24_13.log');
    const dest = new Uint8Array(len);
    const n = await reader.read(dest, position);
    await reader.close();
    const want = file.subarray(Math.min(position, file.length), Math.min(position + len, file.length));
    expect(n).toBe(want.length);
    expect(Buffer.from(dest.subarray(0, n)).equals(want)).toBe(true);
  });

  it('reads into a subarray view without touching bytes outside it', async () => {
    const file = readFileSync(join(FIXTURE, 'node/node-a/2024-09-24_14.log'));
    const memory = new Uint8Array(1024).fill(0xee); // stands in for WASM memory
    const view = memory.subarray(100, 300);
    const reader = await src.open('node', 'node-a', '2024-09-24_14.log');
    const n = await reader.read(view, 50);
    await reader.close();
    expect(n).toBe(200);
    expect(Buffer.from(memory.subarray(100, 300)).equals(file.subarray(50, 250))).toBe(true);
    expect(memory.subarray(0, 100).every((b) => b === 0xee)).toBe(true);
    expect(memory.subarray(300).every((b) => b === 0xee)).toBe(true);
  });

  it('a zero-length read returns 0; close is idempotent', async () => {
    const reader = await src.open('pod', 'default', '2024-09-24_13.log');
    expect(await reader.read(new Uint8Array(0), 0)).toBe(0);
    await reader.close();
    await reader.close();
  });
});

describe('FsChunkSource.listSidecars', () => {
  it('lists the hour files of a target that have a sidecar file, and nothing for a target without', async () => {
    const root = mkdtempSync(join(tmpdir(), 'letheql-sidecars-'));
    try {
      mkdirSync(join(root, 'pod', 'shop'), { recursive: true });
      mkdirSync(join(root, '.letheql', 'index', 'pod', 'shop'), { recursive: true });
      for (const n of ['2024-09-24_13.log.idx', '2024-09-24_14.log.idx', 'stray.tmp']) writeFileSync(join(root, '.letheql', 'index', 'pod', 'shop', n), 'x');
      const src = new FsChunkSource(root);
      expect([...(await src.listSidecars('pod', 'shop'))].sort()).toEqual(['2024-09-24_13.log', '2024-09-24_14.log']);
      expect([...(await src.listSidecars('pod', 'other'))]).toEqual([]);
      expect([...(await src.listSidecars('node', 'n1'))]).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('path-escape rejection', () => {
  const fs = new FsChunkSource(FIXTURE);
  const mem = MemoryChunkSource.fromRecord({ 'pod/a/2024-09-24_13.log': 'x' });
  const bad: [string, string, string | undefined][] = [
    ['parent target', '..', undefined],
    ['dot target', '.', undefined],
    ['empty target', '', undefined],
    ['slash in target', 'a/../../etc', undefined],
    ['backslash in target', 'a\\..\\b', undefined],
    ['NUL in target', 'a\0', undefined],
    ['.. inside target', 'x..y', undefined],
    ['parent file', 'shop', '..'],
    ['slash in file', 'shop', '../../../../etc/passwd'],
    ['absolute file', 'shop', '/etc/passwd'],
    ['backslash in file', 'shop', '..\\x'],
    ['NUL in file', 'shop', '2024-09-24_13.log\0'],
  ];
  for (const [label, target, name] of bad) {
    it.each([
      ['fs', fs],
      ['memory', mem],
    ] as const)(`${label}: %s source throws INVALID_OPTION`, async (_, source) => {
      const call = name === undefined ? source.listFiles('pod', target) : source.open('pod', target, name);
      await expect(call).rejects.toMatchObject({ name: 'LetheQLError', code: 'INVALID_OPTION' });
    });
  }
  it.each([
    ['fs', fs],
    ['memory', mem],
  ] as const)('%s source rejects an unknown log type', async (_, source) => {
    await expect(source.listTargets('../pod' as LogType)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});

describe('FsChunkSource.open and odd directories', () => {
  let tmp = '';
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'letheql-store-'));
    mkdirSync(join(tmp, 'empty'));
    writeFileSync(join(tmp, 'file.txt'), 'x');
    // A store assembled with symlinks, plus things that are not targets or files.
    const s = join(tmp, 'linked');
    mkdirSync(join(s, 'pod', 'real'), { recursive: true });
    mkdirSync(join(s, 'pod', 'real', 'subdir'));
    writeFileSync(join(s, 'pod', 'real', '2024-09-24_13.log'), 'abc\n');
    writeFileSync(join(s, 'pod', 'stray-file'), 'not a target');
    symlinkSync(join(s, 'pod', 'real'), join(s, 'pod', 'alias'));
    symlinkSync(join(s, 'pod', 'real', '2024-09-24_13.log'), join(s, 'pod', 'real', '2024-09-24_14.log'));
    symlinkSync(join(s, 'nowhere'), join(s, 'pod', 'real', '2024-09-24_15.log'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.each([
    ['a missing directory', '/nonexistent/letheql-store', /^store not found: \/nonexistent\/letheql-store \(no such directory\)$/],
    ['a regular file', 'file.txt', /^store not found: .*file\.txt is not a directory$/],
  ])('throws STORE_NOT_FOUND for %s', async (_, dir, message) => {
    const root = dir.startsWith('/') ? dir : join(tmp, dir);
    const err = await FsChunkSource.open(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LetheQLError);
    expect(err).toMatchObject({ code: 'STORE_NOT_FOUND' });
    expect((err as Error).message).toMatch(message);
  });

  it('accepts a directory with neither pod/ nor node/ as an empty store', async () => {
    const src = await FsChunkSource.open(join(tmp, 'empty'));
    expect(src.description).toBe(join(tmp, 'empty'));
    expect(await src.listTargets('pod')).toEqual([]);
    expect(await src.listTargets('node')).toEqual([]);
  });

  it('follows symlinks to directories and files; ignores stray files, subdirectories and dangling links', async () => {
    const src = await FsChunkSource.open(join(tmp, 'linked'));
    expect(await src.listTargets('pod')).toEqual(['alias', 'real']);
    expect(nameSize(await src.listFiles('pod', 'real'))).toEqual([
      { name: '2024-09-24_13.log', size: 4 },
      { name: '2024-09-24_14.log', size: 4 },
    ]);
    expect(nameSize(await src.listFiles('pod', 'alias'))).toEqual(nameSize(await src.listFiles('pod', 'real')));
    const r = await src.open('pod', 'alias', '2024-09-24_14.log');
    const buf = new Uint8Array(10);
    expect(await r.read(buf, 0)).toBe(4);
    await r.close();
  });
});

describe('MemoryChunkSource is equivalent to FsChunkSource', () => {
  const stores: [string, string, boolean][] = [
    ['fixtures/store', FIXTURE, true],
    ['fixtures/edge-store', EDGE, true],
    ["Lethe's store", LETHE, HAS_LETHE],
  ];
  for (const [label, root, present] of stores) {
    describe.skipIf(!present)(`${label}${present ? '' : ` (${NO_LETHE})`}`, () => {
      const tree = present ? readTree(root) : new Map<string, Uint8Array<ArrayBuffer>>();
      const fs = new FsChunkSource(root);
      it.each([
        ['Uint8Array', (b: Uint8Array<ArrayBuffer>): Uint8Array | string | Blob => b],
        ['Blob', (b: Uint8Array<ArrayBuffer>): Uint8Array | string | Blob => new Blob([b])],
        ['string', (b: Uint8Array<ArrayBuffer>): Uint8Array | string | Blob => new TextDecoder().decode(b)],
      ])('with %s contents: same listing and bytes', async (_, wrap) => {
        const mem = new MemoryChunkSource([...tree].map(([p, b]) => [p, wrap(b)] as const));
        expect(await listing(mem)).toEqual(await listing(fs));
        expect(await snapshot(mem, 1000)).toEqual(await snapshot(fs, 1000));
      });
    });
  }
});

describe('MemoryChunkSource construction', () => {
  it.each([
    ['plain', {}, 'pod/a/2024-09-24_13.log'],
    ['leading ./', {}, './pod/a/2024-09-24_13.log'],
    ['stripPrefix', { stripPrefix: 'mystore' }, 'mystore/pod/a/2024-09-24_13.log'],
    ['stripPrefix with slash', { stripPrefix: 'mystore/' }, './mystore/pod/a/2024-09-24_13.log'],
  ])('accepts %s paths', async (_, opts, path) => {
    const src = MemoryChunkSource.fromRecord({ [path]: 'hi\n' }, opts);
    expect(await src.listTargets('pod')).toEqual(['a']);
    expect(nameSize(await src.listFiles('pod', 'a'))).toEqual([{ name: '2024-09-24_13.log', size: 3 }]);
  });

  it.each([
    ['unknown log type', 'logs/a/x.log'],
    ['too shallow', 'pod/x.log'],
    ['too deep', 'pod/a/b/x.log'],
    ['root folder without stripPrefix', 'mystore/pod/a/x.log'],
    ['parent segment', 'pod/../x.log'],
    ['empty segment', 'pod//x.log'],
  ])('rejects %s (%s)', (_, path) => {
    expect(() => MemoryChunkSource.fromRecord({ [path]: '' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }) as Error);
  });

  it('rejects a path given twice', () => {
    expect(() => new MemoryChunkSource([['pod/a/x.log', 'a'], ['./pod/a/x.log', 'b']])).toThrow(/duplicate store path pod\/a\/x\.log/);
  });

  it('encodes strings as UTF-8 (sizes in bytes)', async () => {
    const src = MemoryChunkSource.fromRecord({ 'pod/a/2024-09-24_13.log': '결제\n' });
    expect((await src.listFiles('pod', 'a'))[0]!.size).toBe(7);
  });

  it('opening a file that is not there fails like a vanished file on disk (ENOENT)', async () => {
    const src = MemoryChunkSource.fromRecord({ 'pod/a/2024-09-24_13.log': '' });
    await expect(src.open('pod', 'a', '2024-09-24_14.log')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reads a Blob lazily by range, into a view', async () => {
    const text = 'abcdefghijklmnopqrstuvwxyz';
    const src = MemoryChunkSource.fromRecord({ 'node/n/2024-09-24_13.log': new Blob([text]) });
    const r = await src.open('node', 'n', '2024-09-24_13.log');
    const mem = new Uint8Array(20).fill(0);
    expect(await r.read(mem.subarray(5, 10), 20)).toBe(5);
    expect(new TextDecoder().decode(mem.subarray(5, 10))).toBe('uvwxy');
    expect(await r.read(mem.subarray(0, 10), 24)).toBe(2);
    expect(await r.read(mem, 26)).toBe(0);
    expect(mem[10]).toBe(0);
  });
});

describe('MemoryChunkSource.fromFiles (directory picker)', () => {
  const file = (rel: string, text: string): File => {
    const f = new File([text], rel.split('/').pop()!);
    Object.defineProperty(f, 'webkitRelativePath', { value: rel });
    return f;
  };

  it('finds the store root as the folder holding pod/ and node/', async () => {
    const src = MemoryChunkSource.fromFiles([
      file('mystore/pod/shop/2024-09-24_13.log', 'a\n'),
      file('mystore/node/node-a/2024-09-24_13.log', 'bb\n'),
      file('mystore/README.md', 'ignored'),
      file('mystore/pod/.DS_Store', 'ignored: not in a target'),
      file('mystore/pod/shop/.DS_Store', 'listed: a file in a target, not an hour'),
      file('mystore/backup/pod/shop/2024-09-24_13.log', 'ignored: deeper copy'),
    ]);
    expect(src.description).toBe('files:mystore');
    expect(await src.listTargets('pod')).toEqual(['shop']);
    expect(await src.listTargets('node')).toEqual(['node-a']);
    expect((await src.listFiles('pod', 'shop')).map((f) => f.name)).toEqual(['.DS_Store', '2024-09-24_13.log']);
    expect(nameSize(await src.listFiles('node', 'node-a'))).toEqual([{ name: '2024-09-24_13.log', size: 3 }]);
  });

  it('accepts a picked parent folder or pod/ itself', async () => {
    const deep = MemoryChunkSource.fromFiles([file('var/lethe/pod/a/2024-09-24_13.log', 'x\n')]);
    expect(await deep.listTargets('pod')).toEqual(['a']);
    const podOnly = MemoryChunkSource.fromFiles([file('pod/a/2024-09-24_13.log', 'x\n')]);
    expect(await podOnly.listTargets('pod')).toEqual(['a']);
  });

  it('reads the picked fixture store exactly like the filesystem', async () => {
    const files = [...readTree(FIXTURE)].map(([p, b]) => {
      const f = new File([b], p.split('/').pop()!);
      Object.defineProperty(f, 'webkitRelativePath', { value: `store/${p}` });
      return f;
    });
    const mem = MemoryChunkSource.fromFiles(files);
    expect(await snapshot(mem)).toEqual(await snapshot(new FsChunkSource(FIXTURE)));
  });

  it('an empty selection is an empty store; files without a store tree are STORE_NOT_FOUND', async () => {
    expect(await MemoryChunkSource.fromFiles([]).listTargets('pod')).toEqual([]);
    expect(() => MemoryChunkSource.fromFiles([file('photos/cat.jpg', '')])).toThrow(expect.objectContaining({ code: 'STORE_NOT_FOUND' }) as Error);
  });
});

describe.skipIf(!HAS_LETHE)(`FsChunkSource on Lethe's store${HAS_LETHE ? '' : ` (${NO_LETHE})`}`, () => {
  const src = new FsChunkSource(LETHE);
  it('lists what Lethe has, invalid names and the empty file included', async () => {
    expect(await src.listTargets('pod')).toEqual(['namespace01', 'namespace02']);
    expect(await src.listTargets('node')).toEqual(['node01', 'node02']);
    expect(nameSize(await src.listFiles('pod', 'namespace02'))).toEqual([
      { name: '0000-00-00_00.log', size: 12 },
      { name: '2009-11-10_22.log', size: 1125 },
    ]);
    expect(nameSize(await src.listFiles('node', 'node02'))).toEqual([
      { name: '2009-11-01_00.log', size: 0 },
      { name: '2009-11-10_21.log', size: 1116 },
    ]);
    expect((await src.listFiles('pod', 'namespace01')).map((f) => f.name)).toEqual(['2000-01-01_00.log', '2009-11-10_21.log', '2009-11-10_22.log', '2029-11-10_23.log']);
  });
  it('reads the last bytes of a file without a final newline', async () => {
    const r = await src.open('pod', 'namespace01', '2009-11-10_22.log');
    const tail = new Uint8Array(11);
    expect(await r.read(tail, r.size - 11)).toBe(11);
    await r.close();
    expect(new TextDecoder().decode(tail)).toBe('hello world');
  });
  it('reads the empty file as 0 bytes', async () => {
    const r = await src.open('node', 'node02', '2009-11-01_00.log');
    expect(r.size).toBe(0);
    expect(await r.read(new Uint8Array(8), 0)).toBe(0);
    await r.close();
  });
});
