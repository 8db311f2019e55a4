/**
 * `| pattern "<ip> - - <_> \"<method> <path> <_>\" <status>"` (Loki's pattern parser).
 *
 * Matching (Loki's `pattern.Matcher`): a leading literal must start the line; then each
 * capture takes the text up to the *first* occurrence of the next literal; the last
 * capture takes the rest of the line. When a literal is not found, the capture before it
 * takes the rest of the line and matching stops (captures after it stay unset). An empty
 * line, or a line without the leading literal, sets nothing. Never an error label. A
 * capture whose name is a stream label gets the `_extracted` suffix.
 */
import { parsePattern, type PatternPart } from '../query/pattern.js';
import { extractedName, setLabel, type LineState, type Want } from './state.js';

export class PatternStage {
  private readonly parts: PatternPart[];

  constructor(
    pattern: string,
    private readonly want: Want,
  ) {
    this.parts = parsePattern(pattern);
  }

  run(st: LineState): boolean {
    const line = st.line;
    if (line.length === 0) return true;
    const parts = this.parts;
    let k = 0;
    let pos = 0;
    const first = parts[0]!;
    if (first.kind === 'literal') {
      if (!line.startsWith(first.text)) return true;
      pos = first.text.length;
      k = 1;
    }
    while (k < parts.length) {
      const cap = parts[k] as PatternPart & { kind: 'capture' };
      const next = parts[k + 1] as (PatternPart & { kind: 'literal' }) | undefined;
      if (!next) {
        this.set(st, cap.name, line.slice(pos));
        return true;
      }
      const at = line.indexOf(next.text, pos);
      if (at < 0) {
        this.set(st, cap.name, line.slice(pos));
        return true;
      }
      this.set(st, cap.name, line.slice(pos, at));
      pos = at + next.text.length;
      k += 2;
    }
    return true;
  }

  private set(st: LineState, name: string | null, value: string): void {
    if (name === null) return;
    const label = extractedName(st, name);
    if (this.want === null || this.want.has(label)) setLabel(st, label, value);
  }
}
