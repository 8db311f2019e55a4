/**
 * RE2 through re2-wasm (Node only: the package loads its WASM with `fs`).
 *
 * re2-wasm wraps RE2 behind a `RegExp`-like class and always needs the `u` flag; its error
 * messages look like `Invalid regular expression: /x{1001}/u: invalid repetition size: {1001}`.
 * We keep RE2's own part of the message (`invalid repetition size: {1001}`), which is also
 * Go's wording, and run Go's extra syntax checks first.
 */
import { createRequire } from 'node:module';
import { checkGoOnlySyntax, RegexSyntaxError, type CompiledRegex, type RegexEngine } from './engine.js';

interface Re2Instance {
  test(input: string): boolean;
}
type Re2Constructor = new (pattern: string, flags?: string) => Re2Instance;

let cached: Re2Constructor | null = null;

function re2Class(): Re2Constructor {
  if (!cached) {
    const require = createRequire(import.meta.url);
    cached = (require('re2-wasm') as { RE2: Re2Constructor }).RE2;
  }
  return cached;
}

/** The re2-wasm engine. Loading compiles RE2's WASM once per process (~50 ms). */
export const re2WasmEngine: RegexEngine = {
  name: 're2-wasm',
  compile(pattern: string): CompiledRegex {
    checkGoOnlySyntax(pattern);
    const RE2 = re2Class();
    try {
      // An empty pattern is `(?:)` for re2-wasm; pass it through unchanged otherwise.
      return new RE2(pattern, 'u');
    } catch (e) {
      const raw = e instanceof Error ? e.message : String(e);
      const idx = raw.indexOf('/u: ');
      throw new RegexSyntaxError(idx >= 0 ? raw.slice(idx + 4) : raw);
    }
  },
};
