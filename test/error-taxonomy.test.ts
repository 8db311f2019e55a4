/**
 * The error taxonomy, enforced: every throw in `src/` raises a `LetheQLError` (bad input, with a
 * stable code front ends map to exit 2 / HTTP 4xx) or an `InternalError` (a broken invariant: exit 1
 * / HTTP 500), never a plain `Error`, `RangeError` or `TypeError`, whose meaning a front end
 * cannot tell. (Errors thrown by the platform, such as V8's `Invalid string length`, are caught and
 * classified where they can arise; see the hardening tests.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url).pathname;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  );
}

const PLAIN_THROW = /\bthrow\s+new\s+(Error|RangeError|TypeError|SyntaxError|ReferenceError)\s*\(/g;

describe('error taxonomy', () => {
  it('the guard sees a plain throw (it can fail)', () => {
    expect("if (x) throw new RangeError('bad');".match(PLAIN_THROW)).toHaveLength(1);
    expect("throw new LetheQLError('INVALID_OPTION', 'bad');".match(PLAIN_THROW)).toBeNull();
  });

  it('no module under src/ throws a plain Error, RangeError or TypeError', () => {
    const offenders = tsFiles(SRC).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (line.match(PLAIN_THROW) ? [`${relative(SRC, file)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(offenders).toEqual([]);
  });
});
