/**
 * The kernel program: what the WASM kernel evaluates per line, as plain data.
 *
 * It is produced by the planner, printed by `explain()`, and encoded to bytes only at
 * the WASM boundary (`scan/program-codec.ts`). Everything a log query filters on runs in
 * the kernel: the time window, label matchers (byte equality or an anchored regex) and
 * line filters (literal, ASCII-case-insensitive literal, regex). Regexes are kept here as
 * their pattern text, so the program stays small and printable; the encoder compiles them
 * (`src/regex/`) into a DFA, or a Pike VM program when the DFA would exceed its budget.
 */

/** How the kernel runs a regex, for `explain()`: a DFA (`states`) or a Pike VM (`insts`). */
export interface AutomatonSummary {
  engine: 'dfa' | 'pike';
  /** DFA states, or NFA instructions for the Pike VM. */
  size: number;
}

/** Matches one bracket field (by index: 0 = target, 1 = pod/process, 2 = container). */
export type KernelLabelMatcher =
  | { field: number; op: 'eq' | 'neq'; value: string }
  /** `=~`/`!~`: the field must (not) match `pattern` in full (the kernel anchors it: `^(?:p)$`). */
  | { field: number; op: 'regex' | 'notRegex'; pattern: string; automaton: AutomatonSummary };

/** A test on the message bytes. */
export type KernelLineFilter =
  | {
      /** Substring test. An empty needle is contained in every line. */
      op: 'contains' | 'notContains';
      needle: string;
      /** ASCII letters compare case-insensitively (other bytes exactly): the `(?i)literal` fast path. */
      caseInsensitive?: boolean;
      /** Set when the planner derived this filter from a regex (a prefilter, or a regex that is a literal), for `explain()`. */
      fromRegex?: string;
    }
  | {
      /** Unanchored RE2 search on the message. */
      op: 'regex' | 'notRegex';
      pattern: string;
      automaton: AutomatonSummary;
    };

export interface KernelProgram {
  version: 2;
  /** Bracket fields per line: 3 for pod (`ns|pod|container`), 2 for node (`node|process`). */
  fieldCount: 2 | 3;
  /** Inclusive window on the line's own timestamp, as nanoseconds since the Unix epoch (decimal strings so the program stays JSON). */
  startNs: string;
  endNs: string;
  labelMatchers: KernelLabelMatcher[];
  /** All must hold. The planner orders them cheapest first; the result is the same as source order. */
  lineFilters: KernelLineFilter[];
}
