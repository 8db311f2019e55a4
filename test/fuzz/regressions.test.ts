/**
 * Crash regressions (`regressions.ts`): inputs that once crashed letheql, run through the
 * fuzzers' property (`harness.ts`) and checked for the error code they get now.
 */
import { describe, expect, it } from 'vitest';
import { LogStore } from '../../src/api.js';
import { LetheQLError, parseQuery } from '../../src/core.js';
import { MemoryChunkSource } from '../../src/store/memory-source.js';
import { checkQuery, fuzzStore } from './harness.js';
import { LINE_REGRESSIONS, QUERY_REGRESSIONS } from './regressions.js';

const store = fuzzStore();

describe('query crash regressions', () => {
  for (const r of QUERY_REGRESSIONS) {
    it(`${r.was}: ${r.query.slice(0, 70)}${r.query.length > 70 ? '…' : ''}`, async () => {
      await checkQuery(store, r.query);
      let code: string | null = null;
      try {
        const expr = parseQuery(r.query);
        await store.query(expr, { start: '2024-01-01T00:00:00Z', end: '2024-01-01T01:00:00Z', limit: 5 });
      } catch (e) {
        expect(e).toBeInstanceOf(LetheQLError);
        code = (e as LetheQLError).code;
      }
      expect(code).toBe(r.code);
    });
  }
});

describe('log line crash regressions (the line gets __error__, the query survives)', () => {
  for (const r of LINE_REGRESSIONS) {
    it(`${r.was}: ${r.query}`, async () => {
      const s = new LogStore(MemoryChunkSource.fromRecord({ 'pod/a/2024-01-01_00.log': `2024-01-01T00:00:00Z[a|p|c] ${r.line}\n2024-01-01T00:00:01Z[a|p|c] {"ok":1}\n` }));
      const t = await s.query(`${r.query} | __error__ != ""`, { start: '2024-01-01T00:00:00Z', end: '2024-01-01T01:00:00Z' });
      expect(t.numRows).toBe(1);
    });
  }
});
