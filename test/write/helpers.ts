/**
 * Helpers shared by the write-path tests: temporary stores, reading a store back through
 * the query engine (the reader is the oracle for what the writer wrote), and capturing what
 * the CLI's write commands print.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIO } from '../../src/cli/main.js';
import type { QueryStats } from '../../src/exec/stats.js';
import { tableLines } from '../support/paths.js';

/** An `io` for the CLI's `main` that captures stdout and stderr; `clear()` forgets what was captured. */
export function cliIO(): { io: CliIO; out: () => string; err: () => string; clear: () => void } {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    stdout: { write: (d: string, cb?: () => void) => (out.push(String(d)), cb?.(), true) },
    stderr: { write: (d: string, cb?: () => void) => (err.push(String(d)), cb?.(), true) },
    env: {},
  } as never;
  return {
    io,
    out: () => out.join(''),
    err: () => err.join(''),
    clear: () => {
      out.length = 0;
      err.length = 0;
    },
  };
}

/** A fresh temporary directory; `cleanup()` removes it. */
export function tempDir(prefix = 'letheql-write-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every line of a store of one log type, read back through `openStore().query()`, in time order (ties in store order). */
export async function queryAll(store: string, logType: 'pod' | 'node' = 'pod'): Promise<{ lines: string[]; stats: QueryStats }> {
  // Imported lazily: the write-path tests that do not read back do not need the query engine.
  const { getStats, openStore } = await import('../../src/node.js');
  const q = logType === 'pod' ? 'pod{namespace=~".+"}' : 'node{node=~".+"}';
  const table = await openStore(store).query(q, { start: '1970-01-01T00:00:00Z', end: '2100-01-01T00:00:00Z', limit: null });
  return { lines: tableLines(table), stats: getStats(table)! };
}

/** Store-relative path → content of every file under `pod/` and `node/`. */
export function readStoreFiles(store: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const lt of ['pod', 'node']) {
    let targets: string[] = [];
    try {
      targets = readdirSync(join(store, lt));
    } catch {
      continue;
    }
    for (const t of targets.sort()) {
      if (!statSync(join(store, lt, t)).isDirectory()) continue;
      for (const f of readdirSync(join(store, lt, t)).sort()) out.set(`${lt}/${t}/${f}`, readFileSync(join(store, lt, t, f), 'utf8'));
    }
  }
  return out;
}
