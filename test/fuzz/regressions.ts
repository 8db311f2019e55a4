/**
 * Inputs that once crashed letheql (a non-LetheQL throw, a stack overflow, a heap
 * exhaustion), found by the attacker's review (issue 16) or by the fuzzers in this
 * directory. Each is run by `regressions.test.ts` against the same properties as the
 * fuzzers; add the shrunk counterexample here with where it came from when you fix one.
 */
export interface QueryRegression {
  query: string;
  /** What happened before the fix. */
  was: string;
  /** The error code expected now, or null when the query must succeed. */
  code: string | null;
}

export const QUERY_REGRESSIONS: QueryRegression[] = [
  { query: '('.repeat(150) + '1' + ')'.repeat(150), was: 'RangeError: Maximum call stack size exceeded (issue 16)', code: 'QUERY_TOO_DEEP' },
  { query: '-'.repeat(2000) + '1', was: 'RangeError: Invalid array length / stack overflow in Chevrotain (issue 16)', code: 'QUERY_TOO_DEEP' },
  { query: Array(1000).fill('1').join(' ^ '), was: 'RangeError: Invalid array length (issue 16)', code: 'QUERY_TOO_DEEP' },
  { query: Array(5000).fill('1').join(' + '), was: 'stack overflow in the metric evaluator near 4,000 terms', code: 'QUERY_TOO_DEEP' },
  { query: '{'.repeat(100_000), was: 'stack overflow in the grammar', code: 'QUERY_TOO_DEEP' },
  { query: `pod{namespace="a"} | line_format "{{ ${'('.repeat(5000)}__line__${')'.repeat(5000)} }}"`, was: 'stack overflow in the template parser', code: 'QUERY_TOO_DEEP' },
  { query: `pod{namespace="a"} | line_format "${'{{if 1}}'.repeat(5000)}x${'{{end}}'.repeat(5000)}"`, was: 'stack overflow in the template parser', code: 'QUERY_TOO_DEEP' },
  { query: 'pod{namespace=~".+"} | label_format a="{{ repeat 200000000 \\"x\\" }}"', was: 'V8 out of heap (issue 16)', code: 'LIMIT_EXCEEDED' },
  { query: 'pod{namespace=~".+"} | label_format a="{{ repeat 20000000 \\"x\\" }}"', was: '120 MB answer at 1.2 GB RSS (issue 16)', code: 'LIMIT_EXCEEDED' },
  { query: 'pod{namespace=~".+"} | line_format "{{ printf \\"%0100000000d\\" 1 }}"', was: 'RangeError: Invalid string length (issue 16)', code: 'LIMIT_EXCEEDED' },
  { query: 'pod{namespace=~".+"} | line_format "{{ alignLeft 1000000 \\"x\\" }}"', was: '1 MB per line, unbounded with repeat (issue 16)', code: null },
  { query: 'pod{namespace=~".+"} | line_format "{{ alignLeft 100000000 \\"x\\" }}"', was: 'heap exhaustion (issue 16)', code: 'LIMIT_EXCEEDED' },
  { query: 'pod{namespace=~".+"} | line_format "{{ printf \\"%.200f\\" 0.1 }}"', was: 'RangeError: toFixed() digits argument must be between 0 and 100', code: null },
  { query: 'pod{namespace=~".+"} | line_format "{{ printf \\"%.150e %.150g %.150v\\" 0.1 0.1 0.1 }}"', was: 'RangeError: toExponential() argument must be between 0 and 100', code: null },
  { query: 'pod{namespace=~".+"} | line_format "{{ regexReplaceAll \\"\\" (repeat 100000 \\"x\\") (repeat 100000 \\"y\\") }}"', was: 'quadratic growth: 10 GB string', code: 'LIMIT_EXCEEDED' },
  { query: 'pod{namespace=~".+"} | line_format "{{ replace \\"\\" (repeat 100000 \\"x\\") (repeat 100000 \\"y\\") }}"', was: 'quadratic growth: 10 GB string', code: 'LIMIT_EXCEEDED' },
  { query: 'pod{namespace=~".+"} | line_format "{{ indent 100000000 \\"a\\" }}"', was: 'heap exhaustion', code: 'LIMIT_EXCEEDED' },
];

/** Log lines that once failed a query instead of getting `__error__` (store content of `pod/a/2024-01-01_00.log`). */
export const LINE_REGRESSIONS: { line: string; query: string; was: string }[] = [
  { line: '['.repeat(200_000) + ']'.repeat(200_000), query: 'pod{namespace="a"} | json', was: 'RangeError: Maximum call stack size exceeded in the JSON scanner' },
  { line: `{"a":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_001)}`, query: 'pod{namespace="a"} | json v="a.a.a"', was: 'RangeError: Maximum call stack size exceeded in the JSON scanner' },
  { line: `{"_entry":${'['.repeat(200_000)}`, query: 'pod{namespace="a"} | unpack', was: 'RangeError: Maximum call stack size exceeded in the JSON scanner' },
];
