/**
 * Fuzzing template functions with adversarial arguments (issue 16 point 1): every function
 * of the template table, called with huge, negative and odd integers, floats, empty, long,
 * multi-line, non-ASCII and format-like strings, alone and piped into another. Running the
 * stage either succeeds (a runtime type error becomes `__error__`, as Loki) or fails with a
 * `LimitError` naming `maxTemplateBytes`; nothing else may throw, and no output exceeds the
 * cap (`maxTemplateBytes`, or the line's length when longer).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LimitError, parseQuery, type VectorSelector } from '../../src/core.js';
import { compilePipeline } from '../../src/pipeline/index.js';
import { TEMPLATE_FUNCTIONS } from '../../src/query/template.js';
import { fuzzParams, fuzzTimeout } from './config.js';

const CAP = 4096;
const LINES = ['', 'short line', 'x'.repeat(CAP + 100), 'multi\nline\ntext', 'ünï 🎉 \u0000 \\ "q" %d {{'];
const LABELS = { namespace: 'a', pod: 'p', container: 'c', x: '42', msg: 'héllo\nworld', big: 'y'.repeat(3000) };

const FUNCTIONS = Object.keys(TEMPLATE_FUNCTIONS).filter((f) => f !== '__line__');

const intArg = fc.oneof(fc.constantFrom(0, -1, 1, 2, 7, CAP, CAP + 1, 2 ** 31 - 1, -(2 ** 31), 2 ** 53 - 1, 1_000_000_000), fc.integer({ min: -10, max: 3 * CAP }));
const floatArg = fc.constantFrom('1.5', '-0.0', '1e308', '5e-324', '0.1', '123456789.125');
const strArg = fc.oneof(
  fc.constantFrom('', 'x', 'ü🎉', '%', '%d', '%0999999d', '%.999f', '%.200e', '%*d', '%!', '%v%v%v', 'a\nb\nc', '(', '\\', '$1', '${x}', '.*', '', 'xyz'),
  fc.string({ maxLength: 12 }),
  fc.nat({ max: 3000 }).map((n) => 'z'.repeat(n)),
);
const arg = fc.oneof(
  { weight: 3, arbitrary: intArg.map(String) },
  { weight: 1, arbitrary: floatArg },
  { weight: 4, arbitrary: strArg.map((s) => JSON.stringify(s)) },
  { weight: 2, arbitrary: fc.constantFrom('.x', '.msg', '.big', '.missing', '__line__', 'true') },
);

function call(fn: string, args: string[]): string {
  return `${fn} ${args.join(' ')}`;
}
const callArb = fc.tuple(fc.constantFrom(...FUNCTIONS), fc.array(arg, { maxLength: 4 })).map(([fn, args]) => {
  const sig = TEMPLATE_FUNCTIONS[fn]!;
  const n = sig.params.length + (sig.variadic ? args.length % 3 : 0);
  const padded = [...args, ...Array<string>(Math.max(0, n - args.length)).fill('"s"')].slice(0, n);
  return call(fn, padded);
});
/** `{{ f a b }}`, `{{ f a | g b }}` (piped last argument), `{{ f (g a) b }}`, repeated into one template. */
const action = fc.oneof(
  callArb.map((c) => `{{ ${c} }}`),
  fc.tuple(callArb, callArb).map(([a, b]) => `{{ ${a} | ${b.split(' ').slice(0, -1).join(' ') || b} }}`),
  fc.tuple(fc.constantFrom(...FUNCTIONS), callArb).map(([f, inner]) => `{{ ${f} (${inner}) }}`),
);
const templateArb = fc.array(action, { minLength: 1, maxLength: 3 }).map((a) => a.join('-'));

function run(template: string, kind: 'line' | 'label'): void {
  const q = kind === 'line' ? `pod{namespace="a"} | line_format ${JSON.stringify(template)}` : `pod{namespace="a"} | label_format out=${JSON.stringify(template)}`;
  let sel: VectorSelector;
  try {
    sel = parseQuery(q) as VectorSelector;
  } catch {
    return; // arity/syntax errors are the parser's business (query fuzzing covers them)
  }
  const pipeline = compilePipeline(sel.pipeline, { maxTemplateBytes: CAP });
  for (const line of LINES) {
    try {
      const r = pipeline.process(line, LABELS);
      if (r === null) continue;
      const cap = Math.max(CAP, line.length);
      const out = kind === 'line' ? r.line : (r.labels['out'] ?? '');
      if (out.length > cap) throw new Error(`output of ${out.length} > cap ${cap} for ${template}`);
    } catch (e) {
      if (e instanceof LimitError) {
        expect(e.limit).toBe('maxTemplateBytes');
        continue;
      }
      throw new Error(`template ${JSON.stringify(template)} on ${JSON.stringify(line.slice(0, 40))} threw ${(e as Error)?.stack ?? String(e)}`);
    }
  }
}

describe('template fuzzing (adversarial arguments)', () => {
  it(
    'line_format: only LimitError may escape, output within the cap',
    () => {
      fc.assert(fc.property(templateArb, (t) => run(t, 'line')), fuzzParams(1000));
    },
    fuzzTimeout(120_000),
  );
  it(
    'label_format: the same',
    () => {
      fc.assert(fc.property(templateArb, (t) => run(t, 'label')), fuzzParams(500));
    },
    fuzzTimeout(120_000),
  );
});
