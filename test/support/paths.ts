import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Table } from 'apache-arrow';

/** `../shared` beside the repository; CI always has it, a user's fresh clone may not. */
export const SHARED = fileURLToPath(new URL('../../../shared', import.meta.url));
export const HAS_SHARED = existsSync(SHARED);
export const SHARED_REASON = '../shared is absent (fresh clone): Lethe/loghub fixture tests need it';
export const LETHE_STORE = `${SHARED}/fixtures/lethe-testdata/log`;
export const LOGHUB = `${SHARED}/fixtures/loghub`;
export const FIXTURE_STORE = fileURLToPath(new URL('../../fixtures/store', import.meta.url));
export const EDGE_STORE = fileURLToPath(new URL('../../fixtures/edge-store', import.meta.url));

/** Renders result rows back to Lethe's line format, for readable expectations. */
export function tableLines(table: Table): string[] {
  const labels = table.schema.fields.map((f) => f.name).filter((n) => !['time', 'line', 'time_raw'].includes(n));
  const out: string[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const ls = labels.map((l) => table.getChild(l)!.get(i) as string).join('|');
    out.push(`${table.getChild('time_raw')!.get(i) as string}[${ls}] ${table.getChild('line')!.get(i) as string}`);
  }
  return out;
}
