/**
 * Go's regexp.Expand rules, one implementation for label_replace and the pipeline's
 * replacement templates. Expectations are what Go's `re.ReplaceAllString(src, tmpl)` returns
 * (regexp package docs and `extract`'s rules: longest name, leading zeros, unmatched groups).
 */
import { describe, expect, it } from 'vitest';
import { compileRegex } from '../../src/regex/index.js';
import { expandTemplate } from '../../src/regex/expand.js';

const enc = new TextEncoder();

function expand(pattern: string, text: string, template: string): string {
  const re = compileRegex(pattern);
  const bytes = enc.encode(text);
  const slots = re.execIn(bytes, 0, bytes.length);
  if (!slots) throw new Error(`no match of ${pattern} in ${text}`);
  return expandTemplate(template, bytes, slots, re.names);
}

describe('expandTemplate (Go regexp.Expand)', () => {
  const cases: [string, string, string, string][] = [
    // pattern, text, template, expected
    ['(a)(b)', 'ab', '$2$1', 'ba'],
    ['(a)(b)', 'ab', '${2}x${1}', 'bxa'],
    ['(a)(b)', 'ab', '$1x', ''], // `1x` is a name, and no group has it
    ['(a)(b)', 'ab', '$$1', '$1'],
    ['(a)(b)', 'ab', 'cost: $', 'cost: $'], // `$` then no name: literal
    ['(a)(b)', 'ab', '${1', '${1'], // no closing brace: the `$` is literal
    ['(a)(b)', 'ab', '$3', ''], // no such group
    ['(a)(b)', 'ab', '$01', ''], // a leading zero makes it a name
    ['(?P<first>a)(?P<second>b)', 'ab', '$second-$first', 'b-a'],
    ['(?P<first>a)(?P<second>b)', 'ab', '${first}_x', 'a_x'],
    ['(?P<first>a)(?P<second>b)', 'ab', '$first_x', ''], // `first_x` is the name
    ['(a)|(b)', 'b', '[$1][$2]', '[][b]'], // group 1 did not take part
    ['(a)', 'a', '$1é|${1}é', '|aé'], // a Unicode letter continues the name `1é`
    ['(한)(글)', '한글', '$2$1', '글한'],
  ];
  it.each(cases)('%s on %s: %s → %s', (pattern, text, template, expected) => {
    expect(expand(pattern, text, template)).toBe(expected);
  });
});
