/**
 * The regex module's error type, apart so that every stage can import it without pulling
 * in the engine.
 */

/** Thrown for a pattern Go's `regexp` (RE2 syntax) rejects; the message is Go's wording. */
export class RegexSyntaxError extends Error {
  /** 0-based offset into the pattern where the problem starts, when known. */
  readonly offset: number | null;
  constructor(message: string, offset: number | null = null) {
    super(message);
    this.name = 'RegexSyntaxError';
    this.offset = offset;
  }
}
