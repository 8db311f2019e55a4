/**
 * The regex engine seam.
 *
 * Regex line filters (`|~`, `!~`) and regex label matchers (`=~`, `!~`) need RE2 syntax and
 * semantics (contract §2.1): linear time, leftmost-first, no backreferences or look-around.
 * In this release they run through re2-wasm on the lines the kernel lets through; the
 * in-kernel regex engine is a later step. The engine is injected by the entry point
 * (`node.ts` loads re2-wasm; the browser entry has none yet) so that the core never
 * imports a Node-only module.
 */

/** A compiled pattern. `test` is unanchored unless the pattern anchors itself. */
export interface CompiledRegex {
  test(text: string): boolean;
}

/** Thrown by {@link RegexEngine.compile} for a pattern RE2 rejects. */
export class RegexSyntaxError extends Error {
  /** 0-based offset into the pattern where the problem starts, when known. */
  readonly offset: number | null;
  constructor(message: string, offset: number | null = null) {
    super(message);
    this.name = 'RegexSyntaxError';
    this.offset = offset;
  }
}

export interface RegexEngine {
  /** A short name for `explain()` output, e.g. `re2-wasm`. */
  readonly name: string;
  compile(pattern: string): CompiledRegex;
}

/**
 * Rejects the escapes that Go's `regexp` (our reference syntax) rejects but RE2 or
 * re2-wasm's JS-compatibility layer would accept: `\C` (any byte), `\uXXXX` and `\cX`
 * (JavaScript escapes that re2-wasm rewrites).
 */
export function checkGoOnlySyntax(pattern: string): void {
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== '\\') continue;
    const next = pattern[i + 1];
    if (next === 'C' || next === 'u' || next === 'c') {
      throw new RegexSyntaxError(`invalid escape sequence: \\${next}`, i);
    }
    i++; // skip the escaped character, so `\\C` is a backslash then C
  }
}
