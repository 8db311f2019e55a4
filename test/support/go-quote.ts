/**
 * Go string literals in test data: RE2's search log (`re2-search.txt`, format in
 * ../shared/conformance/re2/README.md §1) quotes its regexps and texts with Go's
 * `strconv.Quote`; the conformance and parser tests read them back with {@link goUnquote}.
 */

/**
 * Go's `strconv.Unquote` for interpreted string literals, to bytes (`\x` and octal escapes
 * are raw bytes; everything else is UTF-8). Raw control characters are allowed, which is
 * why `JSON.parse` cannot do this.
 */
export function goUnquote(line: string): Uint8Array {
  if (line.length < 2 || line[0] !== '"' || line[line.length - 1] !== '"') throw new Error(`not a quoted string: ${line}`);
  const enc = new TextEncoder();
  const out: number[] = [];
  const body = line.slice(1, -1);
  const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34, "'": 39 };
  for (let i = 0; i < body.length; ) {
    const ch = body[i]!;
    if (ch === '"') throw new Error(`unescaped quote in ${line}`);
    if (ch !== '\\') {
      const cp = body.codePointAt(i)!;
      out.push(...enc.encode(String.fromCodePoint(cp)));
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) throw new Error(`trailing backslash in ${line}`);
    if (e in simple) {
      out.push(simple[e]!);
      i += 2;
    } else if (e === 'x') {
      out.push(parseInt(body.slice(i + 2, i + 4), 16));
      i += 4;
    } else if (e >= '0' && e <= '7') {
      out.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 4;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      out.push(...enc.encode(String.fromCodePoint(parseInt(body.slice(i + 2, i + 2 + n), 16))));
      i += 2 + n;
    } else {
      throw new Error(`unknown escape \\${e} in ${line}`);
    }
  }
  return Uint8Array.from(out);
}
